import {
  CompiledQuery,
  type Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from "kysely";
import { type Db, dialectOf } from "./connect.js";
import type { Database, GroupRow, GroupsTable } from "./schema.js";

/**
 * "Which groups are near this point" from the spatial index of migration 004 — an R*Tree on SQLite,
 * a GiST index on ll_to_earth(lat, lon) on PostgreSQL (or a btree box where earthdistance is missing).
 * The index gives the groups in a box; the database computes the exact great-circle distance of
 * those alone, orders them and returns the first few. Nearest-neighbour searches widen the box in
 * steps, so a far-away answer costs a few small queries, never the whole table in memory.
 * One shape for both engines; only the box test differs, side by side below.
 */

export interface Point {
  lat: number;
  lon: number;
}

export interface GroupAtDistance {
  group: GroupRow;
  distanceKm: number;
}

export interface NearOptions {
  /** Only groups whose status is alive. */
  aliveOnly?: boolean;
  excludeId?: string;
}

/** Same radius as src/geo/distance.ts, so the database and the domain agree on every distance. */
const EARTH_RADIUS_KM = 6371.0088;
/** Half the circumference: every point on Earth is at most this far. */
export const WORLD_KM = Math.PI * EARTH_RADIUS_KM;

/** SQLite-only tables of migration 004 (not in Database: PostgreSQL has none). */
interface RtreeTables {
  groups_geo: {
    key: number;
    min_lat: number;
    max_lat: number;
    min_lon: number;
    max_lon: number;
    min_alive: number;
    max_alive: number;
  };
  group_geo_keys: { key: number; group_id: string };
}

type SpatialDb = Kysely<Database & RtreeTables>;
type GroupsQuery = SelectQueryBuilder<
  Database & RtreeTables & { g: GroupsTable },
  "g",
  GroupRow & { distance_km: number }
>;

/** A box in degrees; lon ranges never cross ±180 (a box over the antimeridian is two boxes). */
interface Box {
  minLat: number;
  maxLat: number;
  lons: [number, number][];
}

const toRad = (deg: number) => (deg * Math.PI) / 180;
const toDeg = (rad: number) => (rad * 180) / Math.PI;

/** The smallest lat/lon box holding every point within `km` (exact on a sphere, poles included). */
export function boxAround(p: Point, km: number): Box {
  const pad = 1e-4; // degrees (~11 m): float rounding, and the R*Tree's 32-bit floats
  const theta = km / EARTH_RADIUS_KM;
  const minLat = p.lat - toDeg(theta) - pad;
  const maxLat = p.lat + toDeg(theta) + pad;
  if (minLat <= -90 || maxLat >= 90 || theta >= Math.PI / 2) {
    return { minLat: Math.max(minLat, -90), maxLat: Math.min(maxLat, 90), lons: [[-180, 180]] };
  }
  const dLon = toDeg(Math.asin(Math.min(1, Math.sin(theta) / Math.cos(toRad(p.lat))))) + pad;
  const lo = p.lon - dLon;
  const hi = p.lon + dLon;
  if (dLon >= 180) return { minLat, maxLat, lons: [[-180, 180]] };
  if (lo < -180)
    return {
      minLat,
      maxLat,
      lons: [
        [lo + 360, 180],
        [-180, hi],
      ],
    };
  if (hi > 180)
    return {
      minLat,
      maxLat,
      lons: [
        [lo, 180],
        [-180, hi - 360],
      ],
    };
  return { minLat, maxLat, lons: [[lo, hi]] };
}

function literal(n: number) {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite coordinate: ${n}`);
  return sql.lit(n);
}

/** Haversine in SQL (the same formula as distanceKm); runs unchanged on SQLite (math functions) and PostgreSQL. */
function distanceSql(p: Point): RawBuilder<number> {
  const h = sql`power(sin(radians(g.lat - ${literal(p.lat)}) / 2), 2) + cos(radians(${literal(p.lat)})) * cos(radians(g.lat)) * power(sin(radians(g.lon - ${literal(p.lon)}) / 2), 2)`;
  // Rounding can push h a hair above 1 for antipodes; asin would then fail on PostgreSQL.
  return sql<number>`(2 * ${literal(EARTH_RADIUS_KM)} * asin(sqrt(case when ${h} > 1 then 1 else ${h} end)))`;
}

const pgIndexKind = new WeakMap<Db, Promise<string>>();

function postgresIndexKind(db: Db): Promise<string> {
  let kind = pgIndexKind.get(db);
  if (!kind) {
    kind = db
      .selectFrom("meta")
      .select("value")
      .where("key", "=", "spatial_index")
      .executeTakeFirst()
      .then((r) => r?.value ?? "btree");
    pgIndexKind.set(db, kind);
  }
  return kind;
}

/**
 * The query for groups within `ringKm` of `p` (nearest first, then by name), as the index answers it.
 * Exported for the test that reads its plan.
 */
export async function withinQuery(
  db: Db,
  p: Point,
  ringKm: number,
  opts: NearOptions & { limit: number; offset?: number },
): Promise<GroupsQuery> {
  const sdb = db as unknown as SpatialDb;
  const distance = distanceSql(p);
  const world = ringKm >= WORLD_KM;
  let q: GroupsQuery;

  if (dialectOf(db) === "sqlite") {
    const box = boxAround(p, ringKm);
    // The R*Tree finds the keys in the box (one range per side of the antimeridian); the key table maps them to groups.
    const inBox = (lons: [number, number]) => {
      let r = sdb.selectFrom("groups_geo").select("key");
      if (!world) {
        r = r
          .where("max_lat", ">=", literal(box.minLat))
          .where("min_lat", "<=", literal(box.maxLat))
          .where("max_lon", ">=", literal(lons[0]))
          .where("min_lon", "<=", literal(lons[1]));
      }
      // The third dimension: alive groups are stored at 1, all others at 0.
      return opts.aliveOnly ? r.where("min_alive", ">=", sql.lit(1)) : r;
    };
    const [first, ...rest] = world ? [[-180, 180] as [number, number]] : box.lons;
    let keys = inBox(first as [number, number]);
    for (const lons of rest) keys = keys.unionAll(inBox(lons));
    q = sdb
      .selectFrom("group_geo_keys as k")
      .innerJoin("groups as g", "g.id", "k.group_id")
      .selectAll("g")
      .select(distance.as("distance_km"))
      .where("k.key", "in", keys) as unknown as GroupsQuery;
  } else {
    // Side by side, PostgreSQL: the WHERE repeats each partial index's predicate literally, so the planner can use it.
    q = sdb
      .selectFrom("groups as g")
      .selectAll("g")
      .select(distance.as("distance_km"))
      .where(sql<SqlBool>`g.lat is not null and g.lon is not null and g.removed_at is null`) as GroupsQuery;
    if (opts.aliveOnly) q = q.where(sql<SqlBool>`g.status = 'alive'`);
    const kind = await postgresIndexKind(db);
    if (kind === "earthdistance") {
      // earth_box is a cube around the point in earth() units (metres on a 6378.168 km sphere): a chord, so
      // a little more than our great-circle distance on 6371 km covers every point within it.
      const metres = (world ? 2 * 6_378_168 : ringKm * 1000 * 1.002) + 10;
      q = q.where(
        sql<SqlBool>`earth_box(ll_to_earth(${literal(p.lat)}, ${literal(p.lon)}), ${literal(metres)}) @> ll_to_earth(g.lat, g.lon)`,
      );
    } else if (!world) {
      const box = boxAround(p, ringKm);
      q = q.where("g.lat", ">=", literal(box.minLat)).where("g.lat", "<=", literal(box.maxLat));
      q = q.where((eb) =>
        eb.or(
          box.lons.map(([lo, hi]) =>
            eb.and([eb("g.lon", ">=", literal(lo)), eb("g.lon", "<=", literal(hi))]),
          ),
        ),
      );
    }
  }
  if (opts.excludeId !== undefined) q = q.where("g.id", "!=", opts.excludeId);
  if (!world) q = q.where(distance, "<=", literal(ringKm));
  q = q.orderBy("distance_km").orderBy("g.name").orderBy("g.id").limit(opts.limit);
  return opts.offset ? q.offset(opts.offset) : q;
}

function toResult(rows: (GroupRow & { distance_km: number })[]): GroupAtDistance[] {
  return rows.map(({ distance_km, ...group }) => ({ group, distanceKm: Number(distance_km) }));
}

/** Groups within `radiusKm` of a point, nearest first, at most `limit` (after skipping `offset`: a later page). */
export async function groupsWithin(
  db: Db,
  p: Point,
  radiusKm: number,
  opts: NearOptions & { limit: number; offset?: number },
): Promise<GroupAtDistance[]> {
  return toResult(await (await withinQuery(db, p, radiusKm, opts)).execute());
}

/** How many groups are within `radiusKm` (counted by the database, from the same index). */
export async function countWithin(
  db: Db,
  p: Point,
  radiusKm: number,
  opts: NearOptions = {},
): Promise<number> {
  const q = await withinQuery(db, p, radiusKm, { ...opts, limit: Number.MAX_SAFE_INTEGER });
  const r = await db
    .selectFrom(q.clearOrderBy().clearLimit().as("w"))
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Whether any placed, listed group (any alive one, with `aliveOnly`) exists anywhere: one index probe. Before the
 * first scan no group is alive, and the nearest-alive search would otherwise widen its rings to the whole world.
 */
export async function anyPlaced(db: Db, opts: Pick<NearOptions, "aliveOnly"> = {}): Promise<boolean> {
  return (await anyPlacedQuery(db, opts).executeTakeFirst()) !== undefined;
}

/** The query of anyPlaced, exported for the test that reads its plan. */
export function anyPlacedQuery(db: Db, opts: Pick<NearOptions, "aliveOnly"> = {}) {
  const sdb = db as unknown as SpatialDb;
  if (dialectOf(db) === "sqlite") {
    // Alive groups sit at 1 in the R*Tree's third dimension: with none, every node's box is at 0 there.
    const q = sdb.selectFrom("groups_geo").select("key as found");
    return (opts.aliveOnly ? q.where("min_alive", ">=", sql.lit(1)) : q).limit(1);
  }
  // Side by side, PostgreSQL: the predicates of the partial spatial indexes, literally.
  const q = sdb
    .selectFrom("groups as g")
    .select(sql<number>`1`.as("found"))
    .where(sql<SqlBool>`g.lat is not null and g.lon is not null and g.removed_at is null`);
  return (opts.aliveOnly ? q.where(sql<SqlBool>`g.status = 'alive'`) : q).limit(1);
}

/**
 * The nearest `limit` groups, however far: rings of `startKm`, then three times wider each step, to the
 * whole world. A ring holding `limit` groups is the answer (anything outside it is farther).
 */
export async function nearestGroups(
  db: Db,
  p: Point,
  opts: NearOptions & { limit?: number; startKm?: number } = {},
): Promise<GroupAtDistance[]> {
  const limit = opts.limit ?? 1;
  if (!(await anyPlaced(db, opts))) return [];
  let ring = Math.max(opts.startKm ?? 50, 1);
  for (;;) {
    const rows = await groupsWithin(db, p, ring, { ...opts, limit });
    if (rows.length >= limit || ring >= WORLD_KM) return rows;
    ring = Math.min(ring * 3, WORLD_KM);
  }
}

export async function nearestGroup(
  db: Db,
  p: Point,
  opts: NearOptions & { startKm?: number } = {},
): Promise<GroupAtDistance | null> {
  return (await nearestGroups(db, p, { ...opts, limit: 1 }))[0] ?? null;
}

/** The engine's plan for a query, one line per step (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL). */
export async function explainPlan(db: Db, query: { compile(): CompiledQuery }): Promise<string[]> {
  const compiled = query.compile();
  if (dialectOf(db) === "sqlite") {
    const r = await db.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]),
    );
    return r.rows.map((row) => row.detail);
  }
  const r = await db.executeQuery<{ "QUERY PLAN": string }>(
    CompiledQuery.raw(`explain ${compiled.sql}`, [...compiled.parameters]),
  );
  return r.rows.map((row) => row["QUERY PLAN"]);
}
