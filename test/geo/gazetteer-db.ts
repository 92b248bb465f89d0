import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, openDatabase } from "../../src/db/connect.js";
import { ensureGazetteer } from "../../src/db/gazetteer.js";
import type { CityLookup } from "../../src/geo/geocode.js";
import { dbCityLookup } from "../../src/jobs/geo-lookup.js";

/**
 * One real SQLite file with the real migrations and the full gazetteer, for a whole test file (beforeAll):
 * the build takes seconds, and tempDb() removes its database after every test.
 */
export async function builtGazetteer(): Promise<{ db: Db; lookup: CityLookup; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "poick-gazetteer-"));
  const db = await openDatabase(join(dir, "poick.db"));
  await ensureGazetteer(db);
  return {
    db,
    lookup: sqliteLookup(db),
    close: async () => {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The production adapter, so tests exercise exactly what sync and /pug near use. */
export const sqliteLookup = dbCityLookup;
