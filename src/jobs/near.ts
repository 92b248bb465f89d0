import type { Db } from "../db/connect.js";
import { ensureGazetteer } from "../db/gazetteer.js";
import { groupsInBox } from "../db/groups.js";
import type { GroupRow } from "../db/schema.js";
import { distanceKm } from "../geo/distance.js";
import { type Place, type PlaceQueryResult, resolvePlace, suggestPlaces } from "../geo/geocode.js";
import { dbCityLookup } from "./geo-lookup.js";

export interface NearbyGroup {
  group: GroupRow;
  distanceKm: number;
}

export type NearResult =
  | {
      kind: "found";
      place: Place;
      radiusKm: number;
      /** Within the radius, nearest first. */
      groups: NearbyGroup[];
      /** The nearest group of all, even beyond the radius. */
      nearest: NearbyGroup | null;
      /** The nearest alive group of all, even beyond the radius. */
      nearestAlive: NearbyGroup | null;
      alternatives: Place[];
    }
  | Exclude<PlaceQueryResult, { kind: "found" }>;

export const DEFAULT_RADIUS_KM = 100;

function byDistance(groups: GroupRow[], lat: number, lon: number): NearbyGroup[] {
  return groups
    .filter((g) => g.lat !== null && g.lon !== null)
    .map((g) => ({ group: g, distanceKm: distanceKm(lat, lon, g.lat as number, g.lon as number) }))
    .sort((a, b) => a.distanceKm - b.distanceKm || a.group.name.localeCompare(b.group.name));
}

/** Box around a point, in degrees, wide enough to hold every point within `km`. */
function boxAround(lat: number, lon: number, km: number) {
  const dLat = km / 110.574;
  const cos = Math.cos((lat * Math.PI) / 180);
  const dLon = cos < 0.01 ? 180 : km / (111.32 * cos);
  if (lat - dLat < -90 || lat + dLat > 90 || dLon >= 180) return null;
  return { minLat: lat - dLat, maxLat: lat + dLat, minLon: lon - dLon, maxLon: lon + dLon };
}

export async function findPlace(db: Db, query: string): Promise<PlaceQueryResult> {
  await ensureGazetteer(db);
  return resolvePlace(dbCityLookup(db), query);
}

/** Groups near a place typed by a user; names the nearest (alive) group even beyond the radius. */
export async function findNear(
  db: Db,
  query: string,
  opts: { radiusKm?: number; includeAll?: boolean } = {},
): Promise<NearResult> {
  const radiusKm = opts.radiusKm ?? DEFAULT_RADIUS_KM;
  const resolved = await findPlace(db, query);
  if (resolved.kind !== "found") return resolved;
  const { place } = resolved;

  // Widening rings: the answer within the radius, then the nearest (alive) group even if far away,
  // without reading the whole table unless nothing is found anywhere closer.
  const rings = [radiusKm, ...[300, 1000, 3000].filter((r) => r > radiusKm), null];
  let inRadius: NearbyGroup[] = [];
  let nearest: NearbyGroup | null = null;
  let nearestAlive: NearbyGroup | null = null;
  for (const [i, ring] of rings.entries()) {
    const rows = byDistance(
      await groupsInBox(db, ring === null ? null : boxAround(place.lat, place.lon, ring)),
      place.lat,
      place.lon,
    );
    // A box also holds points beyond the ring (its corners); only those within it are surely nearest.
    const within = ring === null ? rows : rows.filter((c) => c.distanceKm <= ring);
    if (i === 0) inRadius = within;
    nearest ??= within[0] ?? null;
    nearestAlive ??= within.find((c) => c.group.status === "alive") ?? null;
    if (nearest && nearestAlive) break;
  }
  const groups = opts.includeAll === false ? inRadius.filter((c) => c.group.status === "alive") : inRadius;
  return {
    kind: "found",
    place,
    radiusKm,
    groups,
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
