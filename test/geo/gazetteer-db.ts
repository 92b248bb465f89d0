import { type Db, openDatabase } from "../../src/db/connect.js";
import { ensureGazetteer } from "../../src/db/gazetteer.js";
import type { CityLookup } from "../../src/geo/geocode.js";
import { dbCityLookup } from "../../src/jobs/geo-lookup.js";
import { createTestDatabase } from "../helpers/db.js";

/**
 * One real database (SQLite or PostgreSQL, as the suite runs) with the real migrations and the full gazetteer,
 * for a whole test file (beforeAll): the build takes seconds, and tempDb() removes its database after every test.
 */
export async function builtGazetteer(): Promise<{ db: Db; lookup: CityLookup; close: () => Promise<void> }> {
  const database = await createTestDatabase("poick-gazetteer-");
  const db = await openDatabase(database.location);
  await ensureGazetteer(db);
  return {
    db,
    lookup: sqliteLookup(db),
    close: async () => {
      await db.destroy();
      await database.remove();
    },
  };
}

/** The production adapter, so tests exercise exactly what sync and /pug near use. */
export const sqliteLookup = dbCityLookup;
