import type { GroupRow } from "../db/schema.js";
import { STATUS_EMOJI } from "../liveness/status.js";
import { clip, table } from "../text/toolkit.js";

/** The JSON shape of a group for `--json` output (stable field names). */
export function groupJson(g: GroupRow) {
  return {
    id: g.id,
    name: g.name,
    url: g.url,
    continent: g.continent,
    country: g.country_name,
    country_code: g.country_code,
    region: g.region,
    city: g.city,
    lat: g.lat,
    lon: g.lon,
    geo_confidence: g.geo_confidence,
    status: g.status,
    reason: g.reason,
    status_since: g.status_since,
    last_checked_at: g.last_checked_at,
    failing_since: g.failing_since,
    last_activity_at: g.last_activity_at,
    next_event_at: g.next_event_at,
    description: g.description,
    removed_at: g.removed_at,
  };
}

export function renderGroupTable(groups: GroupRow[]): string {
  return table(
    ["", "group", "city", "country", "status", "url"],
    groups.map((g) => [
      STATUS_EMOJI[g.status],
      clip(g.name, 40),
      clip(g.city ?? "—", 24),
      clip(g.country_name ?? "—", 20),
      g.failing_since && g.status !== "dead" ? `${g.status} (failing)` : g.status,
      g.url,
    ]),
  );
}
