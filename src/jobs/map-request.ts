import type { Db } from "../db/connect.js";
import { listActiveGroups } from "../db/groups.js";
import type { GroupRow, Status } from "../db/schema.js";
import { groupsWithin } from "../db/spatial.js";
import { allCountries, countryCode, countryName } from "../geo/countries.js";
import { DEFAULT_RADIUS_KM, findPlace } from "./near.js";

/** The plain data a map shows (present/map/render.ts draws it). */
export interface MapGroup {
  name: string;
  lat: number | null;
  lon: number | null;
  status: Status;
  city: string | null;
  countryCode: string | null;
}

export type MapView =
  | { kind: "world" }
  | { kind: "continent"; continent: string }
  | { kind: "country"; code: string }
  | { kind: "near"; lat: number; lon: number; radiusKm: number; placeName: string };

const CONTINENTS = new Set([...allCountries().map((c) => c.continent.toLowerCase()), "australia"]);

export type MapRequest =
  | {
      kind: "map";
      groups: MapGroup[];
      view: MapView;
      title: string;
      subtitle: string;
      /** The listed groups inside the asked-for area (within the radius, the continent or the country). */
      inArea: GroupRow[];
    }
  | { kind: "not_understood"; message: string };

/**
 * What `poick map` and `/pug map` draw: a place (with a radius), a region (a continent or a country),
 * or the world. The caller renders it with present/map/render.ts's renderMap(groups, view, {title, subtitle}).
 */
const toMapGroup = (g: GroupRow): MapGroup => ({
  name: g.name,
  lat: g.lat,
  lon: g.lon,
  status: g.status,
  city: g.city,
  countryCode: g.country_code,
});

/**
 * How far from the place a map around it can show a group: the picture frames the radius circle in its
 * shorter side, so its corners lie within about 1.9 radii (1200 × 820 px); a little more for the projection.
 */
const NEAR_VIEW_REACH = 2.5;

/** Nulls first, then by code unit: the order SQLite's ORDER BY gives listActiveGroups. */
const byPlaceThenName = (a: GroupRow, b: GroupRow): number => {
  for (const k of ["continent", "country_name", "city", "name"] as const) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
};

export async function mapRequest(
  db: Db,
  opts: { place?: string | null; region?: string | null; radiusKm?: number | null; now: Date },
): Promise<MapRequest> {
  const day = opts.now.toISOString().slice(0, 10);
  const sub = (n: number, a: number) => `${a} of ${n} alive (${n ? Math.round((100 * a) / n) : 0}%) · ${day}`;
  if (opts.place) {
    const found = await findPlace(db, opts.place);
    if (found.kind !== "found") {
      const tips = found.suggestions.slice(0, 3).map((p) => p.label);
      return {
        kind: "not_understood",
        message: `I couldn't place "${opts.place}".${tips.length ? ` Did you mean ${tips.join(", ")}?` : ""}`,
      };
    }
    const radiusKm = opts.radiusKm ?? DEFAULT_RADIUS_KM;
    const { place } = found;
    // Only the groups the picture can show, from the spatial index: a map around one city at 100,000 groups
    // read them all (1–2 s with the bot's event loop blocked, and 400 MB).
    const shown = await groupsWithin(db, place, radiusKm * NEAR_VIEW_REACH, {
      limit: Number.MAX_SAFE_INTEGER,
    });
    const inArea = shown
      .filter((g) => g.distanceKm <= radiusKm)
      .map((g) => g.group)
      .sort(byPlaceThenName);
    return {
      kind: "map",
      groups: shown.map((g) => toMapGroup(g.group)),
      view: { kind: "near", lat: place.lat, lon: place.lon, radiusKm, placeName: place.name },
      title: `Python user groups within ${radiusKm} km of ${place.name}`,
      subtitle: place.label,
      inArea,
    };
  }
  const rows = await listActiveGroups(db);
  const groups: MapGroup[] = rows.map(toMapGroup);
  const alive = rows.filter((g) => g.status === "alive").length;
  if (opts.region) {
    if (CONTINENTS.has(opts.region.trim().toLowerCase())) {
      const inside = rows.filter((g) => g.continent?.toLowerCase() === opts.region?.trim().toLowerCase());
      const name = opts.region.trim().replace(/\b\w/g, (c) => c.toUpperCase());
      return {
        kind: "map",
        groups,
        view: { kind: "continent", continent: name },
        title: `Python user groups in ${name}`,
        subtitle: sub(inside.length, inside.filter((g) => g.status === "alive").length),
        inArea: inside,
      };
    }
    const code = countryCode(opts.region);
    if (!code)
      return { kind: "not_understood", message: `"${opts.region}" is not a continent or a country I know.` };
    const inside = rows.filter((g) => g.country_code === code);
    return {
      kind: "map",
      groups,
      view: { kind: "country", code },
      title: `Python user groups in ${countryName(code)}`,
      subtitle: sub(inside.length, inside.filter((g) => g.status === "alive").length),
      inArea: inside,
    };
  }
  return {
    kind: "map",
    groups,
    view: { kind: "world" },
    title: "Python user groups of the world",
    subtitle: sub(rows.length, alive),
    inArea: rows,
  };
}
