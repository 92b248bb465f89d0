import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { testApp } from "../helpers/app.js";
import { cli } from "../helpers/cli.js";
import { seedGroups } from "../helpers/seed.js";

describe("poick stats --chart, map and report", () => {
  it("write the same pictures and files the bot sends", async () => {
    const app = await testApp();
    await seedGroups(app.db, [
      { name: "PySilesia", url: "https://pysilesia.example/", city: "Katowice", lat: 50.26, lon: 19.02 },
      { name: "Pykonik", url: "https://pykonik.example/", city: "Kraków", lat: 50.06, lon: 19.94 },
    ]);
    await app.db
      .updateTable("groups")
      .set({ status: "dead", reason: "http_404" })
      .where("name", "=", "Pykonik")
      .execute();
    const env = { POICK_DB: app.config.dbPath };
    const dir = app.dir;

    const chart = join(dir, "stats.png");
    const stats = await cli(["stats", "--continent", "Europe", "--chart", chart], env);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/Europe: 0 \/ 2/);
    expect(stats.stderr).toBe(`Wrote ${chart} (1200×620).\n`);
    const img = PNG.sync.read(readFileSync(chart));
    expect([img.width, img.height]).toEqual([1200, 620]);
    // --json stays one document on stdout.
    const json = await cli(["stats", "--chart", chart, "--json"], env);
    expect(json.json<{ total: number }>().total).toBe(2);
    expect((await cli(["stats", "--chart", ""], env)).code).toBe(2);
    expect((await cli(["stats", "--country", "Atlantis", "--chart", chart], env)).code).toBe(2);

    const map = join(dir, "katowice.png");
    const drawn = await cli(["map", "Katowice", "--radius", "150", "--out", map], env);
    expect(drawn.code).toBe(0);
    expect(PNG.sync.read(readFileSync(map)).height).toBe(820);

    const md = join(dir, "report.md");
    const report = await cli(["report", "--out", md], env);
    expect(report.code).toBe(0);
    expect(readFileSync(md, "utf8")).toContain("[Pykonik](https://pykonik.example/)");
  }, 60_000);
});
