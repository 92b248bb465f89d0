import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, openDatabase } from "../../src/db/connect.js";
import { ensureGazetteer, findCitiesByKey, findCitiesByPrefix } from "../../src/db/gazetteer.js";
import type { CityRow } from "../../src/db/schema.js";
import type { CityCandidate, CityLookup } from "../../src/geo/geocode.js";

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

const toCandidate = (r: CityRow): CityCandidate => ({
  id: r.id,
  name: r.name,
  country: r.country,
  adminCode: r.admin_code,
  population: r.population,
  lat: r.lat,
  lon: r.lon,
});

export function sqliteLookup(db: Db): CityLookup {
  return {
    byKey: async (key, country) => (await findCitiesByKey(db, key, country)).map(toCandidate),
    byPrefix: async (prefix, limit) => (await findCitiesByPrefix(db, prefix, limit)).map(toCandidate),
  };
}
