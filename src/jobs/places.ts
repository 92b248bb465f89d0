import type { Db } from "../db/connect.js";
import { ensureGazetteer } from "../db/gazetteer.js";
import { findGroups } from "../db/groups.js";
import type { GroupRow } from "../db/schema.js";
import { type Place, suggestPlaces } from "../geo/geocode.js";
import { dbCityLookup } from "./geo-lookup.js";

/** Places for autocomplete, biggest first. */
export async function placeSuggestions(db: Db, partial: string, limit: number): Promise<Place[]> {
  await ensureGazetteer(db);
  return suggestPlaces(dbCityLookup(db), partial, limit);
}

/** Groups for autocomplete and search, by name, city or country. */
export async function groupSuggestions(db: Db, partial: string, limit: number): Promise<GroupRow[]> {
  return findGroups(db, partial, limit);
}
