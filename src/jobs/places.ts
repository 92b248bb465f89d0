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

/** The group a user means: by id (what autocomplete sends) or else the best name match. */
export async function findGroup(db: Db, query: string): Promise<GroupRow | undefined> {
  return query.trim() ? (await findGroups(db, query, 1))[0] : undefined;
}
