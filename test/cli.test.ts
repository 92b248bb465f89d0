import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERBS } from "../src/cli.js";
import { cli } from "./helpers/cli.js";
import { createTestDatabase, newDatabase, type TestDatabase } from "./helpers/db.js";

const FIX = join(import.meta.dirname, "fixtures/wiki");
const HTML = join(FIX, "LocalUserGroups.html");
const RAW = join(FIX, "LocalUserGroups.raw.txt");
const TRUNCATED = join(FIX, "LocalUserGroups.truncated.html");
const expected = JSON.parse(readFileSync(join(FIX, "expected-groups.json"), "utf8")) as {
  name: string;
  url: string;
}[];

interface GroupJson {
  id: string;
  name: string;
  url: string;
  continent: string | null;
  country: string | null;
  region: string | null;
  city: string | null;
  lat: number | null;
  lon: number | null;
  status: string;
  reason: string | null;
  removed_at: string | null;
  distance_km?: number;
}

// One database for the file (synced once, below); tests that need their own take newDatabase().
let main: TestDatabase & { remove: () => Promise<void> };
let dir = "";
let env: Record<string, string> = {};
beforeAll(async () => {
  main = await createTestDatabase("poick-cli-");
  dir = main.dir;
  env = main.env;
});
afterAll(async () => {
  await main?.remove();
});

describe("poick CLI over the fixture wiki", () => {
  beforeAll(async () => {
    const r = await cli(["sync", "--source", HTML], env);
    expect(r.stderr).not.toMatch(/failed|refused/i);
    expect(r.code).toBe(0);
  }, 120_000);

  it("finds every group the page lists", async () => {
    const r = await cli(["list", "--json"], env);
    expect(r.code).toBe(0);
    const groups = r.json<GroupJson[]>();
    expect(groups).toHaveLength(expected.length);
    expect(new Set(groups.map((g) => g.url))).toEqual(new Set(expected.map((e) => e.url)));
    for (const g of groups) {
      for (const k of [
        "id",
        "name",
        "url",
        "continent",
        "country",
        "region",
        "city",
        "lat",
        "lon",
        "status",
        "reason",
      ]) {
        expect(g).toHaveProperty(k);
      }
      expect(g.status).toBe("unknown");
    }
  });

  it("near Katowice lists PySilesia first and Pykonik (Kraków, ~70 km) next", async () => {
    const r = await cli(["near", "Katowice", "--json"], env);
    expect(r.code).toBe(0);
    const groups = r.json<GroupJson[]>();
    expect(groups[0]?.name).toBe("PySilesia");
    expect(groups[1]?.name).toBe("Pykonik");
    expect(groups[1]?.distance_km).toBeGreaterThan(60);
    expect(groups[1]?.distance_km).toBeLessThan(80);
  });

  it("near prints a readable table and names the nearest group beyond the radius", async () => {
    const r = await cli(["near", "Gliwice", "--radius", "5"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/none\./);
    expect(r.stdout).toMatch(/Nearest group: PySilesia, Katowice, 2\d km/);
    const wide = await cli(["near", "krakow"], env);
    expect(wide.stdout).toMatch(/Pykonik/);
  });

  it("bad input gets a clear message and a non-zero exit", async () => {
    const unknown = await cli(["near", "Qwxzv Nowhere"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/couldn't find a place/);
    const radius = await cli(["near", "Katowice", "--radius", "ten"], env);
    expect(radius.code).toBe(2);
    expect(radius.stderr).toMatch(/--radius must be a number/);
    const neg = await cli(["near", "Katowice", "--radius", "-5"], env);
    expect(neg.code).toBe(2);
    const missing = await cli(["sync", "--source", join(dir, "nope.html")], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Sync failed/);
    const verb = await cli(["frobnicate"], env);
    expect(verb.code).toBe(2);
    const flag = await cli(["list", "--bogus"], env);
    expect(flag.code).toBe(2);
  });

  it("every command has --help, and poick --help lists each under the name it runs by", async () => {
    const main = await cli(["--help"], env);
    expect(main.code).toBe(0);
    for (const [name, load] of Object.entries(VERBS)) {
      // Verbs are loaded when they run; the table's key, the verb's own name and its help must agree.
      const verb = await load();
      expect(verb.name).toBe(name);
      expect(main.stdout).toContain(`  ${verb.usage}`);
      const r = await cli([name, "--help"], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: poick/);
    }
    expect(Object.keys(VERBS)).toEqual(expect.arrayContaining(["sync", "scan", "near", "map", "report"]));
  });

  it("a truncated page is refused and the database is left unchanged", async () => {
    const before = (await cli(["list", "--json"], env)).stdout;
    const r = await cli(["sync", "--source", TRUNCATED], env);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/refused/i);
    expect((await cli(["list", "--json"], env)).stdout).toBe(before);
  });

  it("stats counts by status", async () => {
    const r = await cli(["stats", "--json"], env);
    const s = r.json<{ total: number; byStatus: Record<string, number> }>();
    expect(s.total).toBe(expected.length);
    expect(s.byStatus.unknown).toBe(expected.length);
    expect((await cli(["stats", "--country", "Poland", "--json"], env)).json<{ total: number }>().total).toBe(
      3,
    );
  });
});

describe("sync details", () => {
  it("HTML and raw markup give the same groups and places", async () => {
    const e2 = (await newDatabase()).env;
    expect((await cli(["sync", "--source", RAW], e2)).code).toBe(0);
    const raw = (await cli(["list", "--json"], e2)).json<GroupJson[]>();
    const html = (await cli(["list", "--json"], env)).json<GroupJson[]>();
    const key = (g: GroupJson) =>
      JSON.stringify([g.id, g.name, g.url, g.continent, g.country, g.region, g.city, g.lat, g.lon]);
    expect(raw.map(key).sort()).toEqual(html.map(key).sort());
  }, 60_000);

  it("groups that leave the page are marked removed, never deleted, and come back", async () => {
    const e3 = (await newDatabase()).env;
    await cli(["sync", "--source", RAW], e3);
    const page = readFileSync(RAW, "utf8").replace(/^.*PyHD.*$/m, "");
    const edited = join(dir, "edited.raw.txt");
    writeFileSync(edited, page);
    expect((await cli(["sync", "--source", edited], e3)).code).toBe(0);
    let all = (await cli(["list", "--json"], e3)).json<GroupJson[]>();
    expect(all.find((g) => g.name === "PyHD")).toBeUndefined();
    const info = await cli(["info", "PyHD", "--json"], e3);
    expect(info.json<GroupJson>().removed_at).not.toBeNull();
    await cli(["sync", "--source", RAW], e3);
    all = (await cli(["list", "--json"], e3)).json<GroupJson[]>();
    expect(all.find((g) => g.name === "PyHD")?.removed_at).toBeNull();
  }, 60_000);

  describe("over HTTP", () => {
    let server: Server;
    let url = "";
    const seen: { ua?: string; inm?: string }[] = [];
    beforeAll(async () => {
      const body = readFileSync(HTML);
      server = createServer((req, res) => {
        seen.push({ ua: req.headers["user-agent"], inm: req.headers["if-none-match"] as string | undefined });
        if (req.headers["if-none-match"] === '"v1"') {
          res.writeHead(304).end();
          return;
        }
        res.writeHead(200, { "content-type": "text/html; charset=utf-8", etag: '"v1"' }).end(body);
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/moin/LocalUserGroups`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it("sends a Poick User-Agent and uses the ETag so an unchanged page costs nothing", async () => {
      // The sync goes through the same HTTP module as scans: loopback only when allowed.
      const database = (await newDatabase()).env;
      const e4 = { ...database, POICK_ALLOW_NETS: "127.0.0.0/8" };
      const refused = await cli(["sync", "--source", url], database);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/private network.*POICK_ALLOW_NETS/);
      expect(seen).toHaveLength(0);
      const first = await cli(["sync", "--source", url], e4);
      expect(first.code).toBe(0);
      const second = await cli(["sync", "--source", url], e4);
      expect(second.code).toBe(0);
      expect(first.stdout).toMatch(/^✅ Read the rendered page \(HTML\)\. Found \d+ groups/);
      expect(second.stdout).toMatch(/not changed/);
      expect(seen[0]?.ua).toMatch(/Poick/);
      expect(seen[1]?.inm).toBe('"v1"');
    }, 60_000);
  });
});
