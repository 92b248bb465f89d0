import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { openDatabase } from "../src/db/connect.js";
import { seedGroups } from "./helpers/seed.js";
import { startTestWeb, type TestWeb } from "./helpers/web.js";

let web: TestWeb;
let dir: string;
const page = (name: string) =>
  `<html><head><title>${name}</title></head><body><h1>${name}</h1><p>Python user group ${name}: monthly meetups and talks.</p></body></html>`;

beforeAll(async () => {
  web = await startTestWeb();
  dir = mkdtempSync(join(tmpdir(), "poick-cli-progress-"));
  // Two hosts the system resolves by itself (the CLI uses the real DNS): 127.0.0.1 and localhost.
  for (const h of ["127.0.0.1", "localhost"]) {
    web.route(h, (req, res) =>
      res.writeHead(200, { "content-type": "text/html" }).end(page(`Py${req.url?.replace(/\W/g, "")}`)),
    );
  }
});
afterAll(async () => {
  await web.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("poick scan on a terminal", () => {
  it("draws a bar per host (the busiest first), and its summary gives requests per group, 429s and wall time", async () => {
    const dbPath = join(dir, "p.db");
    const db = await openDatabase(dbPath);
    await seedGroups(db, [
      ...Array.from({ length: 5 }, (_, i) => ({ name: `Pyg${i}`, url: web.url("127.0.0.1", `/g${i}`) })),
      { name: "Pysolo", url: web.url("localhost", "/solo") },
    ]);
    await db.destroy();
    const drawn: string[] = [];
    const stream = new PassThrough();
    stream.on("data", (d: Buffer) => drawn.push(String(d)));
    Object.assign(stream, {
      isTTY: true,
      columns: 120,
      cursorTo() {},
      moveCursor() {},
      clearLine() {},
      clearScreenDown() {},
    });
    let out = "";
    const env = {
      POICK_DB: dbPath,
      POICK_ALLOW_NETS: "127.0.0.0/8",
      POICK_CANARY_URLS: "",
      // 4 requests per second: the bars, redrawn every 100 ms, have time to show.
      POICK_HOST_RATE: "4",
      POICK_HOST_RATE_START: "4",
    };
    const code = await runCli(["scan"], {
      stdout: (s) => {
        out += s;
      },
      stderr: () => {},
      env,
      isTTY: true,
      progressStream: stream,
    });
    expect(code).toBe(0);
    expect(out).toMatch(/\d+ requests \(\d+\.\d\d per group\) · 0 × 429 · \d+\.\d s/);
    const screen = drawn.join("");
    expect(screen).toMatch(/[0-5]\/5 127\.0\.0\.1/);
    expect(screen).toMatch(/[01]\/1 localhost/);
  }, 30_000);
});
