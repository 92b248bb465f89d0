import type { Db } from "./connect.js";
import type { Status } from "./schema.js";

export interface AreaStatusCount {
  area: string | null;
  status: Status;
  count: number;
}

/** Listed groups counted by status per continent, or per country inside one continent. */
export async function statusCountsByArea(db: Db, continent?: string): Promise<AreaStatusCount[]> {
  const area = continent ? "country_name" : "continent";
  let q = db
    .selectFrom("groups")
    .select([`${area} as area`, "status", (eb) => eb.fn.countAll<number>().as("count")])
    .where("removed_at", "is", null);
  if (continent) q = q.where((eb) => eb(eb.fn("lower", ["continent"]), "=", continent.toLowerCase()));
  const rows = await q.groupBy([area, "status"]).execute();
  return rows.map((r) => ({ area: r.area, status: r.status, count: Number(r.count) }));
}

export interface ScanStatusCount {
  scanId: number;
  startedAt: string;
  status: Status;
  count: number;
}

/** Check verdicts per finished scan, for the newest `limit` scans (oldest first). */
export async function statusCountsByScan(db: Db, limit = 30): Promise<ScanStatusCount[]> {
  const scans = await db
    .selectFrom("scans")
    .select(["id", "started_at"])
    .where("state", "=", "done")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  if (scans.length === 0) return [];
  const rows = await db
    .selectFrom("checks")
    .select(["scan_id", "status", (eb) => eb.fn.countAll<number>().as("count")])
    .where(
      "scan_id",
      "in",
      scans.map((s) => s.id),
    )
    .groupBy(["scan_id", "status"])
    .execute();
  const started = new Map(scans.map((s) => [s.id, s.started_at]));
  return rows
    .map((r) => ({
      scanId: r.scan_id as number,
      startedAt: started.get(r.scan_id as number) as string,
      status: r.status,
      count: Number(r.count),
    }))
    .sort((a, b) => a.scanId - b.scanId);
}
