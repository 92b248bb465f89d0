import type { Db } from "../db/connect.js";
import { ensureGazetteer } from "../db/gazetteer.js";
import { countWithin, type GroupAtDistance, groupsWithin, nearestGroup } from "../db/spatial.js";
import { type Place, type PlaceQueryResult, resolvePlace, suggestPlaces } from "../geo/geocode.js";
import { dbCityLookup } from "./geo-lookup.js";

export type NearbyGroup = GroupAtDistance;

export type NearResult =
  | {
      kind: "found";
      place: Place;
      radiusKm: number;
      /** Within the radius, nearest first: the slice asked for (`offset`, at most `limit`). */
      groups: NearbyGroup[];
      /** How many groups are within the radius in all (more than `groups.length` when sliced). */
      groupsTotal: number;
      /**
       * The nearest group of all, even beyond the radius; null also when it is within the radius but not in
       * the slice (the list shows it then).
       */
      nearest: NearbyGroup | null;
      /** The nearest alive group of all, even beyond the radius. */
      nearestAlive: NearbyGroup | null;
      alternatives: Place[];
    }
  | Exclude<PlaceQueryResult, { kind: "found" }>;

export const DEFAULT_RADIUS_KM = 100;
/** Enough for every page a reply shows; a radius around a big city can hold thousands at 100,000 groups. */
export const MAX_GROUPS = 500;

export async function findPlace(db: Db, query: string): Promise<PlaceQueryResult> {
  await ensureGazetteer(db);
  return resolvePlace(dbCityLookup(db), query);
}

/**
 * Groups near a place typed by a user; names the nearest (alive) group even beyond the radius.
 * `offset`/`limit` pick the slice a reply shows (a page), so a reply reads a page of rows, not every group
 * within the radius; `groupsTotal` counts them all (the database counts from the same index).
 */
export async function findNear(
  db: Db,
  query: string,
  opts: { radiusKm?: number; aliveOnly?: boolean; offset?: number; limit?: number } = {},
): Promise<NearResult> {
  const radiusKm = opts.radiusKm ?? DEFAULT_RADIUS_KM;
  const resolved = await findPlace(db, query);
  if (resolved.kind !== "found") return resolved;
  const { place } = resolved;

  // Everything comes from the spatial index (db/spatial.ts): a box query for the radius, and for
  // the nearest (alive) group beyond it, boxes widened step by step — never the whole table.
  const center = { lat: place.lat, lon: place.lon };
  const aliveOnly = opts.aliveOnly === true;
  const offset = Math.max(0, opts.offset ?? 0);
  const limit = Math.min(opts.limit ?? MAX_GROUPS, MAX_GROUPS);
  const groups = await groupsWithin(db, center, radiusKm, { aliveOnly, limit, offset });
  const groupsTotal =
    groups.length < limit && (groups.length > 0 || offset === 0)
      ? offset + groups.length
      : await countWithin(db, center, radiusKm, { aliveOnly });
  // A first slice starts with the nearest groups; past it (a later page, alive only) the index is asked.
  const firstSlice = offset === 0;
  const nearest =
    !aliveOnly && groupsTotal > 0
      ? firstSlice
        ? (groups[0] ?? null)
        : null
      : await nearestGroup(db, center, { startKm: radiusKm });
  const nearestAlive =
    (firstSlice ? groups.find((c) => c.group.status === "alive") : undefined) ??
    (await nearestGroup(db, center, { aliveOnly: true, startKm: radiusKm }));
  return {
    kind: "found",
    place,
    radiusKm,
    groups,
    groupsTotal,
    nearest,
    nearestAlive,
    alternatives: resolved.alternatives,
  };
}

/** Places for autocomplete, biggest first. */
export async function placeSuggestions(db: Db, partial: string, limit: number): Promise<Place[]> {
  await ensureGazetteer(db);
  return suggestPlaces(dbCityLookup(db), partial, limit);
}
