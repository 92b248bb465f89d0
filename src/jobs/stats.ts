import type { Db } from "../db/connect.js";
import { countByStatus } from "../db/groups.js";
import { lastFinishedScan } from "../db/scans.js";
import type { Status } from "../db/schema.js";
import { CONTINENTS, continentNamed, countryCode } from "../geo/countries.js";

export type StatsResult =
  | {
      kind: "stats";
      scope: string;
      total: number;
      alive: number;
      byStatus: Record<Status, number>;
      lastScanAt: string | null;
    }
  | { kind: "unknown_area"; message: string };

/** Counts by status, for everything, a continent or a country. */
export async function groupStats(
  db: Db,
  filter: { country?: string; continent?: string } = {},
): Promise<StatsResult> {
  let scope = "All groups";
  const where: { continent?: string; countryCode?: string } = {};
  if (filter.continent) {
    const c = continentNamed(filter.continent);
    if (!c) {
      return {
        kind: "unknown_area",
        message: `"${filter.continent}" is not a continent. Try one of: ${CONTINENTS.slice(0, 6).join(", ")}.`,
      };
    }
    where.continent = c;
    scope = c;
  }
  if (filter.country) {
    const code = countryCode(filter.country);
    if (!code)
      return {
        kind: "unknown_area",
        message: `I don't know a country called "${filter.country}". Try its English name or two-letter code.`,
      };
    where.countryCode = code;
    scope = filter.country.trim().length === 2 ? code : filter.country.trim();
  }
  const counts = await countByStatus(db, where);
  const byStatus: Record<Status, number> = { alive: 0, dormant: 0, dead: 0, unknown: 0 };
  for (const c of counts) byStatus[c.status] = c.count;
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const lastScan = await lastFinishedScan(db);
  return {
    kind: "stats",
    scope,
    total,
    alive: byStatus.alive,
    byStatus,
    lastScanAt: lastScan?.finished_at ?? null,
  };
}
