import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/connect.js";
import type { GroupRow } from "../../src/db/schema.js";
import {
  anyPlaced,
  anyPlacedQuery,
  boxAround,
  countWithin,
  explainPlan,
  groupsWithin,
  nearestGroup,
  nearestGroups,
  type Point,
  withinQuery,
} from "../../src/db/spatial.js";
import { distanceKm } from "../../src/geo/distance.js";
import { dialectName, onPostgres, tempDb } from "../helpers/db.js";
import { seedGroups } from "../helpers/seed.js";

// Deterministic randomness, so a failure can be replayed.
function random(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

/** A world with clusters (dense cities), stragglers at the poles and on both sides of the antimeridian. */
async function seedWorld(db: Db, n: number, rand: () => number): Promise<void> {
  const centres: Point[] = [
    { lat: 50.26, lon: 19.02 },
    { lat: 35.68, lon: 139.69 },
    { lat: -36.85, lon: 174.76 },
    { lat: 64.84, lon: -147.72 },
    { lat: -17.7, lon: 178.1 },
    { lat: 0, lon: -179.9 },
  ];
  const seeds = Array.from({ length: n }, (_, i) => {
    const c = centres[i % centres.length]!;
    const spread = i % 7 === 0 ? 60 : 3;
    const lat = Math.max(-89.9, Math.min(89.9, c.lat + (rand() - 0.5) * spread));
    let lon = c.lon + (rand() - 0.5) * spread;
    if (lon > 180) lon -= 360;
    if (lon < -180) lon += 360;
    return { name: `Group ${i}`, url: `https://g${i}.example/`, lat, lon };
  });
  seeds.push({ name: "North pole", url: "https://np.example/", lat: 89.99, lon: 0 });
  seeds.push({ name: "South pole", url: "https://sp.example/", lat: -89.99, lon: 120 });
  await seedGroups(db, seeds);
  const ids = (await db.selectFrom("groups").select("id").orderBy("id").execute()).map((r) => r.id);
  // Statuses, removals and groups without a place, written the way scans and syncs write them.
  for (const [i, id] of ids.entries()) {
    const r = rand();
    if (r < 0.1) await db.updateTable("groups").set({ status: "alive" }).where("id", "=", id).execute();
    else if (r < 0.2) await db.updateTable("groups").set({ status: "dead" }).where("id", "=", id).execute();
    else if (r < 0.25)
      await db
        .updateTable("groups")
        .set({ removed_at: "2026-10-02T00:00:00.000Z" })
        .where("id", "=", id)
        .execute();
    else if (r < 0.28)
      await db.updateTable("groups").set({ lat: null, lon: null }).where("id", "=", id).execute();
    if (i % 50 === 0) await db.updateTable("groups").set({ lon: -179.95 }).where("id", "=", id).execute();
  }
}

/** The answer by brute force over every row, in JS. */
async function bruteForce(db: Db, p: Point, opts: { aliveOnly?: boolean } = {}) {
  const rows = await db.selectFrom("groups").selectAll().execute();
  return rows
    .filter((g) => g.lat !== null && g.lon !== null && g.removed_at === null)
    .filter((g) => !opts.aliveOnly || g.status === "alive")
    .map((g: GroupRow) => ({ id: g.id, d: distanceKm(p.lat, p.lon, g.lat as number, g.lon as number) }))
    .sort((a, b) => a.d - b.d);
}

describe(`spatial queries (${dialectName})`, () => {
  it("boxes hold every point within the distance, across the antimeridian and over the poles", () => {
    const rand = random(3);
    for (let i = 0; i < 2000; i++) {
      const p = { lat: (rand() - 0.5) * 179, lon: (rand() - 0.5) * 359.9 };
      const km = 10 ** (rand() * 4.2);
      const q = { lat: (rand() - 0.5) * 180, lon: (rand() - 0.5) * 360 };
      if (distanceKm(p.lat, p.lon, q.lat, q.lon) > km) continue;
      const box = boxAround(p, km);
      const inLat = q.lat >= box.minLat && q.lat <= box.maxLat;
      const inLon = box.lons.some(([lo, hi]) => q.lon >= lo && q.lon <= hi);
      expect(inLat && inLon, JSON.stringify({ p, q, km, box })).toBe(true);
    }
  });

  it("answers radius, nearest and nearest-alive queries exactly as a scan of every row would", async () => {
    const { db } = await tempDb();
    const rand = random(11);
    await seedWorld(db, 600, rand);
    const points: Point[] = [
      { lat: 50.3, lon: 19.1 },
      { lat: -17.7, lon: -179.8 },
      { lat: 0.1, lon: 179.95 },
      { lat: 89.5, lon: -100 },
      { lat: -80, lon: 0 },
      ...Array.from({ length: 25 }, () => ({ lat: (rand() - 0.5) * 170, lon: (rand() - 0.5) * 360 })),
    ];
    for (const p of points) {
      for (const radius of [5, 100, 1500]) {
        const all = await bruteForce(db, p);
        const within = all.filter((c) => c.d <= radius);
        const got = await groupsWithin(db, p, radius, { limit: 10_000 });
        expect(got.map((g) => g.group.id).sort(), `${JSON.stringify(p)} ${radius} km`).toEqual(
          within.map((c) => c.id).sort(),
        );
        for (let i = 1; i < got.length; i++)
          expect(got[i]!.distanceKm).toBeGreaterThanOrEqual(got[i - 1]!.distanceKm);
        expect(await countWithin(db, p, radius)).toBe(within.length);
        const capped = await groupsWithin(db, p, radius, { limit: 3 });
        expect(capped.map((g) => g.distanceKm)).toEqual(got.slice(0, 3).map((g) => g.distanceKm));
        // A page further on is the same slice of the whole list (what a page button of /pug near reads).
        const page = await groupsWithin(db, p, radius, { limit: 4, offset: 6 });
        expect(page.map((g) => g.group.id)).toEqual(got.slice(6, 10).map((g) => g.group.id));
      }
      const all = await bruteForce(db, p);
      const nearest = await nearestGroup(db, p, { startKm: 10 });
      expect(nearest?.distanceKm).toBeCloseTo(all[0]!.d, 6);
      expect(nearest!.distanceKm).toBeCloseTo(
        distanceKm(p.lat, p.lon, nearest!.group.lat!, nearest!.group.lon!),
        6,
      );
      const alive = await bruteForce(db, p, { aliveOnly: true });
      const nearestAlive = await nearestGroup(db, p, { aliveOnly: true, startKm: 10 });
      expect(nearestAlive?.distanceKm).toBeCloseTo(alive[0]!.d, 6);
      expect(nearestAlive?.group.status).toBe("alive");
      const five = await nearestGroups(db, p, { limit: 5, startKm: 1 });
      expect(five.map((g) => g.distanceKm)).toEqual(
        all.slice(0, 5).map((c) => expect.closeTo(c.d, 6) as unknown as number),
      );
    }
  });

  it("follows every write: new places, removals, status changes, deletes", async () => {
    const { db } = await tempDb();
    const [a, b] = await seedGroups(db, [
      { name: "A", url: "https://a.example/", lat: 10, lon: 10 },
      { name: "B", url: "https://b.example/", lat: 10.5, lon: 10 },
    ]);
    const p = { lat: 10, lon: 10 };
    expect(await nearestGroup(db, p, { aliveOnly: true })).toBeNull();
    expect([await anyPlaced(db), await anyPlaced(db, { aliveOnly: true })]).toEqual([true, false]);
    await db.updateTable("groups").set({ status: "alive" }).where("id", "=", b!).execute();
    expect(await anyPlaced(db, { aliveOnly: true })).toBe(true);
    expect((await nearestGroup(db, p, { aliveOnly: true }))?.group.id).toBe(b);
    expect((await nearestGroup(db, p, { aliveOnly: true, excludeId: b }))?.group.id).toBeUndefined();
    await db.updateTable("groups").set({ lat: -40, lon: -70 }).where("id", "=", a!).execute();
    expect((await nearestGroup(db, p))?.group.id).toBe(b);
    expect((await nearestGroup(db, { lat: -40, lon: -70 }))?.distanceKm).toBeCloseTo(0, 6);
    await db
      .updateTable("groups")
      .set({ removed_at: "2026-11-01T00:00:00.000Z" })
      .where("id", "=", b!)
      .execute();
    expect(await nearestGroup(db, p, { aliveOnly: true })).toBeNull();
    expect(await anyPlaced(db, { aliveOnly: true })).toBe(false);
    expect((await nearestGroup(db, p))?.group.id).toBe(a);
    await db.updateTable("groups").set({ removed_at: null }).where("id", "=", b!).execute();
    expect((await nearestGroup(db, p, { aliveOnly: true }))?.group.id).toBe(b);
    await db.deleteFrom("groups").where("id", "=", b!).execute();
    expect((await nearestGroup(db, p))?.group.id).toBe(a);
    expect(await groupsWithin(db, p, 500, { limit: 10 })).toEqual([]);
    await db.deleteFrom("groups").execute();
    expect(await anyPlaced(db)).toBe(false);
  });

  it("reads the spatial index, not the table, for radius and nearest-alive queries", async () => {
    const { db } = await tempDb();
    await seedWorld(db, 300, random(5));
    if (onPostgres) await sql`analyze groups`.execute(db);
    const p = { lat: 50.3, lon: 19.1 };
    await db.connection().execute(async (conn) => {
      // PostgreSQL may prefer reading a small table whole; forbid that, so the plan shows whether the
      // index can answer at all (if it can't, the plan is still a sequential scan and the test fails).
      if (onPostgres) await sql`set enable_seqscan = off`.execute(conn);
      for (const aliveOnly of [false, true]) {
        for (const ring of [100, 3000, 1e9]) {
          const plan = (
            await explainPlan(conn, await withinQuery(conn, p, ring, { aliveOnly, limit: 5 }))
          ).join("\n");
          const bounded = ring < 1e9;
          if (onPostgres) {
            expect(plan, plan).toMatch(
              aliveOnly ? /Index.*(using|on) groups_geo_alive\s/ : /Index.*(using|on) groups_geo\s/,
            );
            expect(plan, plan).not.toMatch(/Seq Scan/);
          } else {
            // Constraints on the R*Tree (the letters after the colon): the box, and for alive ones the third
            // dimension; a search over the whole world constrains only that.
            if (bounded || aliveOnly)
              expect(plan, plan).toMatch(/SCAN groups_geo VIRTUAL TABLE INDEX \d+:[A-Z]/);
            else expect(plan, plan).toMatch(/SCAN groups_geo VIRTUAL TABLE INDEX/);
            expect(plan, plan).not.toMatch(/SCAN (g|groups)\b(?! USING)/);
          }
        }
      }
      // "Is any group alive at all", asked before widening rings for the nearest alive one.
      const any = (await explainPlan(conn, anyPlacedQuery(conn, { aliveOnly: true }))).join("\n");
      // (PostgreSQL may take the alive spatial index or the status index: either is one probe.)
      if (onPostgres) expect(any, any).toMatch(/Index (Only )?Scan using groups_(geo_alive|status) /);
      else expect(any, any).toMatch(/SCAN groups_geo VIRTUAL TABLE INDEX \d+:[A-Z]/);
      if (onPostgres) await sql`reset enable_seqscan`.execute(conn);
    });
  });
});
