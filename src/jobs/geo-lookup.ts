import type { Db } from "../db/connect.js";
import { findCitiesByKey, findCitiesByKeys, findCitiesByPrefix, findRegionCapital } from "../db/gazetteer.js";
import type { CityRow } from "../db/schema.js";
import type { CityCandidate, CityLookup } from "../geo/geocode.js";

const toCandidate = (r: CityRow): CityCandidate => ({
  id: r.id,
  name: r.name,
  country: r.country,
  adminCode: r.admin_code,
  population: r.population,
  lat: r.lat,
  lon: r.lon,
});

/** The gazetteer in SQLite, seen through the geo module's lookup interface. */
export function dbCityLookup(db: Db): CityLookup {
  return {
    byKey: async (key, country) => (await findCitiesByKey(db, key, country)).map(toCandidate),
    byPrefix: async (prefix, limit) => (await findCitiesByPrefix(db, prefix, limit)).map(toCandidate),
    regionCapital: async (country, adminCode) => {
      const row = await findRegionCapital(db, country, adminCode);
      return row ? toCandidate(row) : null;
    },
  };
}

/** The same lookup, answering repeated questions from memory (one sync asks for "Berlin" many times). */
export function memoLookup(lookup: CityLookup): CityLookup {
  const keys = new Map<string, Promise<CityCandidate[]>>();
  const seats = new Map<string, Promise<CityCandidate | null>>();
  return {
    byKey: (key, country) => {
      const k = `${key}|${country ?? ""}`;
      let hit = keys.get(k);
      if (!hit) {
        hit = lookup.byKey(key, country);
        keys.set(k, hit);
      }
      return hit.then((list) => [...list]);
    },
    byPrefix: (prefix, limit) => lookup.byPrefix(prefix, limit),
    regionCapital: lookup.regionCapital
      ? (country, admin) => {
          const k = `${country}|${admin}`;
          let hit = seats.get(k);
          if (!hit) {
            hit = lookup.regionCapital!(country, admin);
            seats.set(k, hit);
          }
          return hit;
        }
      : undefined,
  };
}

/** Cities per key, as findCitiesByKey answers: the same limit. */
const KEY_LIMIT = 100;

/**
 * A lookup that can be told which keys come next: their cities are fetched together (findCitiesByKeys) and
 * answer byKey for any country until the next prefetch. Anything else asks `lookup`.
 */
export function prefetchingLookup(
  db: Db,
  lookup: CityLookup,
): CityLookup & { prefetch(keys: readonly string[]): Promise<void> } {
  let ahead = new Map<string, CityCandidate[]>();
  return {
    async prefetch(keys) {
      const rows = await findCitiesByKeys(db, keys);
      ahead = new Map([...rows].map(([k, list]) => [k, list.map(toCandidate)]));
    },
    byKey: (key, country) => {
      const all = ahead.get(key);
      if (!all) return lookup.byKey(key, country);
      return Promise.resolve((country ? all.filter((c) => c.country === country) : all).slice(0, KEY_LIMIT));
    },
    byPrefix: (prefix, limit) => lookup.byPrefix(prefix, limit),
    regionCapital: lookup.regionCapital && ((country, admin) => lookup.regionCapital!(country, admin)),
  };
}
