import { around, distance } from "geokdbush";
import KDBush from "kdbush";
import type { Db } from "../db/connect.js";
import { latestListingSnapshot, listActiveGroups } from "../db/groups.js";
import { checksByIds } from "../db/report.js";
import type { GroupRow, Status } from "../db/schema.js";
import { reasonText } from "../liveness/reasons.js";
import { WIKI_SOURCE_ID } from "./sync.js";

/** The source page as Poick last read it (raw text and the markup it is in), or null before the first sync. */
export interface ListingSnapshot {
  text: string;
  /** The markup the wiki edit works on; "html" when the last sync only saw the rendered page. */
  format: "myst" | "moin" | "html";
  /** As the sync stored it: myst, moin-markup, sphinx-html or moin-html. */
  readAs?: string;
}

export interface Replacement {
  name: string;
  url: string;
  city: string | null;
  country: string | null;
  distanceKm: number;
}

export interface ReportEntry {
  id: string;
  name: string;
  url: string;
  status: Status;
  reason: string | null;
  /** The reason in words, plus what the last check saw. */
  evidence: string;
  since: string | null;
  lastActivity: string | null;
  lastChecked: string | null;
  city: string | null;
  country: string | null;
  continent: string | null;
  /** The nearest alive group, for people who looked for this one. */
  replacement: Replacement | null;
}

export interface ReportData {
  generatedAt: string;
  /** Every listed group (the CSV has them all, with is_alive). */
  groups: ReportEntry[];
  /** The dead and dormant ones, the clean-up list. */
  inactive: ReportEntry[];
  snapshot: ListingSnapshot | null;
}

export const NO_SNAPSHOT_MESSAGE =
  "There is no copy of the wiki page yet: run poick sync first, then ask for the report again.";

/** The raw text of the last successful sync of the wiki (listing_snapshots, written by every sync). */
export async function readListingSnapshot(db: Db): Promise<ListingSnapshot | null> {
  const row = await latestListingSnapshot(db, WIKI_SOURCE_ID);
  if (!row) return null;
  const format = row.format === "myst" ? "myst" : row.format === "moin-markup" ? "moin" : "html";
  return { text: row.body, format, readAs: row.format };
}

function evidenceOf(
  g: GroupRow,
  check: { http_status: number | null; final_url: string | null; evidence: string } | undefined,
): string {
  const parts = [g.reason ? reasonText(g.reason) : "Not checked yet."];
  if (check) {
    if (check.http_status !== null) parts.push(`HTTP ${check.http_status}`);
    if (check.final_url && check.final_url !== g.url) parts.push(`ends at ${check.final_url}`);
    try {
      const ev = JSON.parse(check.evidence) as Record<string, unknown>;
      if (typeof ev.title === "string" && ev.title) parts.push(`page title "${ev.title}"`);
      if (typeof ev.code === "string") parts.push(ev.code);
    } catch {
      // evidence is free-form; a broken one only loses detail
    }
  }
  return parts.join("; ");
}

/**
 * The clean-up report: every dead and dormant listed group with its evidence, since when, and the
 * nearest alive group. Nearest-alive uses one kd-tree over all alive groups (geokdbush, great-circle
 * distance) instead of near.ts's per-place widening box queries: a report asks for thousands of
 * places at once, and one in-memory index answers them all from a single read.
 */
export async function buildReport(db: Db, now: Date): Promise<ReportData> {
  const all = await listActiveGroups(db);
  const alive = all.filter((g) => g.status === "alive" && g.lat !== null && g.lon !== null);
  const index = new KDBush(Math.max(1, alive.length));
  for (const g of alive) index.add(g.lon as number, g.lat as number);
  if (alive.length === 0) index.add(0, 0);
  index.finish();

  const inactiveRows = all.filter((g) => g.status === "dead" || g.status === "dormant");
  const checks = await checksByIds(
    db,
    inactiveRows.map((g) => g.last_check_id).filter((id): id is number => id !== null),
  );
  const entry = (g: GroupRow, withEvidence: boolean): ReportEntry => {
    let replacement: Replacement | null = null;
    if (withEvidence && alive.length > 0 && g.lat !== null && g.lon !== null) {
      const [i] = around(index, g.lon, g.lat, 1, Number.POSITIVE_INFINITY, (k) => alive[k]?.id !== g.id);
      const r = i === undefined ? undefined : alive[i];
      if (r)
        replacement = {
          name: r.name,
          url: r.url,
          city: r.city,
          country: r.country_name,
          distanceKm: Math.round(distance(g.lon, g.lat, r.lon as number, r.lat as number)),
        };
    }
    return {
      id: g.id,
      name: g.name,
      url: g.url,
      status: g.status,
      reason: g.reason,
      evidence: withEvidence
        ? evidenceOf(g, g.last_check_id === null ? undefined : checks.get(g.last_check_id))
        : g.reason
          ? reasonText(g.reason)
          : "",
      since: g.status_since,
      lastActivity: g.last_activity_at,
      lastChecked: g.last_checked_at,
      city: g.city,
      country: g.country_name,
      continent: g.continent,
      replacement,
    };
  };
  const inactive = inactiveRows.map((g) => entry(g, true));
  const byId = new Map(inactive.map((e) => [e.id, e]));
  return {
    generatedAt: now.toISOString(),
    groups: all.map((g) => byId.get(g.id) ?? entry(g, false)),
    inactive,
    snapshot: await readListingSnapshot(db),
  };
}
