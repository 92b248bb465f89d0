import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getLock, tryAcquireLock } from "../../src/db/locks.js";
import { holderIsGone, withJobLock } from "../../src/jobs/lock.js";
import { TSX_LOADER } from "../helpers/bot-process.js";
import { FakeClock } from "../helpers/clock.js";
import { tempDb } from "../helpers/db.js";

const ROOT = join(import.meta.dirname, "../..");

describe("job locks", () => {
  it("two schedulers in two processes sharing one database never run a job at once", async () => {
    const { path, dir } = await tempDb();
    const log = join(dir, "runs.log");
    const worker = (name: string) => `
      const { appendFileSync } = await import("node:fs");
      const { openDatabase } = await import(${JSON.stringify(join(ROOT, "src/db/connect.ts"))});
      const { withJobLock } = await import(${JSON.stringify(join(ROOT, "src/jobs/lock.ts"))});
      const db = await openDatabase(${JSON.stringify(path)});
      const clock = { now: () => new Date() };
      let ran = 0;
      for (let i = 0; i < 15; i++) {
        const r = await withJobLock(db, clock, "scan", async () => {
          appendFileSync(${JSON.stringify(log)}, "start ${name} " + performance.timeOrigin + performance.now() + "\\n");
          await new Promise((r) => setTimeout(r, 20));
          appendFileSync(${JSON.stringify(log)}, "end ${name} " + performance.timeOrigin + performance.now() + "\\n");
        });
        if (r.kind === "ran") ran++;
        await new Promise((r) => setTimeout(r, Math.random() * 15));
      }
      await db.destroy();
      console.log(ran);
    `;
    const run = (name: string) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ["--import", TSX_LOADER, "--input-type=module", "-e", worker(name)],
          {
            stdio: ["ignore", "pipe", "inherit"],
          },
        );
        let out = "";
        child.stdout.on("data", (d) => {
          out += String(d);
        });
        child.once("exit", (code) =>
          code === 0 ? resolve(Number(out.trim())) : reject(new Error(`worker exit ${code}`)),
        );
      });
    const [a, b] = await Promise.all([run("a"), run("b")]);
    const lines = readFileSync(log, "utf8").trim().split("\n");
    expect(lines.length).toBe(2 * ((a ?? 0) + (b ?? 0)));
    // Every start is followed by the end of the same run before any other start: no overlap.
    for (let i = 0; i < lines.length; i += 2) {
      const [s1, who1] = (lines[i] ?? "").split(" ");
      const [e1, who2] = (lines[i + 1] ?? "").split(" ");
      expect([s1, e1, who1]).toEqual(["start", "end", who2]);
    }
    expect((a ?? 0) + (b ?? 0)).toBeGreaterThan(5);
  }, 60_000);

  it("an expired lock is taken over; a live one is not", async () => {
    const { db } = await tempDb();
    expect(await tryAcquireLock(db, "sync", "a", "2026-11-01T00:00:00Z", "2026-11-01T00:10:00Z")).toBe(true);
    expect(await tryAcquireLock(db, "sync", "b", "2026-11-01T00:05:00Z", "2026-11-01T00:15:00Z")).toBe(false);
    expect(await tryAcquireLock(db, "sync", "b", "2026-11-01T00:11:00Z", "2026-11-01T00:21:00Z")).toBe(true);
    expect((await getLock(db, "sync"))?.holder).toBe("b");
  });

  it("a lock held by a killed process on this machine is free at once", async () => {
    const { db } = await tempDb();
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid as number; // has exited by now
    const holder = `${hostname()}:${dead}:deadbeef`;
    expect(holderIsGone(holder)).toBe(true);
    expect(holderIsGone(`${hostname()}:${process.pid}:x`)).toBe(false);
    expect(holderIsGone(`some-other-host:${dead}:x`)).toBe(false);
    await tryAcquireLock(db, "scan", holder, "2026-11-01T00:00:00Z", "2026-11-01T01:00:00Z");
    const clock = new FakeClock("2026-11-01T00:01:00Z");
    const r = await withJobLock(db, clock, "scan", async () => "done");
    expect(r).toEqual({ kind: "ran", value: "done" });
  });

  it("records the last run and its result, failures included", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    await expect(
      withJobLock(db, clock, "sync", async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const run = await db.selectFrom("job_runs").selectAll().where("name", "=", "sync").executeTakeFirst();
    expect(run?.last_result).toBe("failed: boom");
    expect(await getLock(db, "sync")).toBeUndefined();
  });
});
