import { spawn } from "node:child_process";
import { join } from "node:path";
import { type Kysely, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { MigrationError, migrateToLatest, openDatabase } from "../../src/db/connect.js";
import { migrations } from "../../src/db/migrations/index.js";
import { TSX_LOADER } from "../helpers/bot-process.js";
import { createTestDatabase, tempDb } from "../helpers/db.js";

const ROOT = join(import.meta.dirname, "../..");

const applied = async (db: Kysely<never>, prefix: string) =>
  (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)).rows
    .map((r) => r.name)
    .filter((n) => n.startsWith(prefix));

describe("migrations", () => {
  it("four processes opening a fresh database at once each start, and every migration runs once", async () => {
    const database = await createTestDatabase("poick-migrate-");
    const path = database.location;
    try {
      const script = `
        const { openDatabase } = await import(${JSON.stringify(join(ROOT, "src/db/connect.ts"))});
        const db = await openDatabase(${JSON.stringify(path)});
        await db.destroy();
      `;
      const codes = await Promise.all(
        Array.from(
          { length: 4 },
          () =>
            new Promise<{ code: number | null; err: string }>((resolve) => {
              const child = spawn(
                process.execPath,
                ["--import", TSX_LOADER, "--input-type=module", "-e", script],
                {
                  stdio: ["ignore", "ignore", "pipe"],
                },
              );
              let err = "";
              child.stderr.on("data", (d) => {
                err += String(d);
              });
              child.once("exit", (code) => resolve({ code, err }));
            }),
        ),
      );
      for (const c of codes) expect(c.code, c.err).toBe(0);
      const db = await openDatabase(path);
      expect(await applied(db as never, "")).toEqual(Object.keys(migrations).sort());
      await db.destroy();
    } finally {
      await database.remove();
    }
  }, 60_000);

  it("a migration that fails is rolled back alone; the ones before it stay, and the next start carries on", async () => {
    const { db } = await tempDb();
    const first = {
      up: (d: Kysely<unknown>) => d.schema.createTable("mig_test_a").addColumn("id", "integer").execute(),
    };
    const broken = {
      up: async (d: Kysely<unknown>) => {
        await d.schema.createTable("mig_test_b").addColumn("id", "integer").execute();
        throw new Error("the power went out");
      },
    };
    await expect(migrateToLatest(db, { "900_a": first, "901_b": broken })).rejects.toThrow(MigrationError);
    await expect(migrateToLatest(db, { "900_a": first, "901_b": broken })).rejects.toThrow(
      /901_b failed: the power went out/,
    );
    expect(await applied(db as never, "90")).toEqual(["900_a"]);
    // 901_b's table was rolled back with it, so the fixed migration can create it.
    const fixed = {
      up: (d: Kysely<unknown>) => d.schema.createTable("mig_test_b").addColumn("id", "integer").execute(),
    };
    const out = await migrateToLatest(db, { "900_a": first, "901_b": fixed });
    expect(out).toEqual([
      { name: "900_a", status: "already" },
      { name: "901_b", status: "applied" },
    ]);
    await sql`insert into mig_test_b (id) values (1)`.execute(db);
  });
});
