import { statusCountsByArea, statusCountsByScan } from "../db/charts.js";
import type { Db } from "../db/connect.js";
import type { Status } from "../db/schema.js";
import { continentNamed, continentOf, countryCode } from "../geo/countries.js";

export interface AreaShare {
  label: string;
  total: number;
  byStatus: Record<Status, number>;
}

export interface ScanPoint {
  at: string;
  alive: number;
  checked: number;
}

export interface StatsChartData {
  /** Continents, or the countries of one continent, most groups first. */
  areas: AreaShare[];
  /** One point per finished scan, oldest first. */
  history: ScanPoint[];
  scope: string;
}

const empty = (): Record<Status, number> => ({ alive: 0, dormant: 0, dead: 0, unknown: 0 });

/** What `/pug stats` and `poick stats --chart` draw: alive share per area and alive groups per scan. */
export async function statsChartData(
  db: Db,
  opts: { continent?: string; maxAreas?: number; scans?: number } = {},
): Promise<StatsChartData> {
  const byArea = new Map<string, AreaShare>();
  for (const r of await statusCountsByArea(db, opts.continent)) {
    const label = r.area ?? "Unplaced";
    let a = byArea.get(label);
    if (!a) {
      a = { label, total: 0, byStatus: empty() };
      byArea.set(label, a);
    }
    a.total += r.count;
    a.byStatus[r.status] += r.count;
  }
  let areas = [...byArea.values()].sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
  const max = opts.maxAreas ?? 12;
  if (areas.length > max) {
    const rest: AreaShare = { label: `${areas.length - max + 1} others`, total: 0, byStatus: empty() };
    for (const a of areas.slice(max - 1)) {
      rest.total += a.total;
      for (const s of Object.keys(rest.byStatus) as Status[]) rest.byStatus[s] += a.byStatus[s];
    }
    areas = [...areas.slice(0, max - 1), rest];
  }
  const byScan = new Map<number, ScanPoint>();
  for (const r of await statusCountsByScan(db, opts.scans ?? 30)) {
    let p = byScan.get(r.scanId);
    if (!p) {
      p = { at: r.startedAt, alive: 0, checked: 0 };
      byScan.set(r.scanId, p);
    }
    p.checked += r.count;
    if (r.status === "alive") p.alive += r.count;
  }
  return { areas, history: [...byScan.values()], scope: opts.continent ?? "the world" };
}

/**
 * The chart for a stats question: a continent's countries for a continent or a country (the country
 * among its neighbours), the continents otherwise. An area it doesn't know draws the world; the
 * caller has already refused it in words (groupStats).
 */
export async function statsChartFor(
  db: Db,
  filter: { country?: string | null; continent?: string | null },
): Promise<StatsChartData> {
  const continent =
    continentNamed(filter.continent) ?? (filter.country ? continentOf(countryCode(filter.country)) : null);
  return statsChartData(db, continent ? { continent } : {});
}
