import type { CheckRow, GroupRow } from "../../src/db/schema.js";

export function makeGroup(p: Partial<GroupRow> = {}): GroupRow {
  return {
    id: "pysilesia-abc123",
    name: "PySilesia",
    url: "https://www.meetup.com/PySilesia/",
    normalized_url: "//meetup.com/pysilesia",
    source_id: "wiki",
    description: null,
    continent: "Europe",
    country_code: "PL",
    country_name: "Poland",
    region: null,
    city: "Katowice",
    lat: 50.258,
    lon: 19.027,
    geo_confidence: 1,
    geo_level: "city",
    first_seen_at: "2026-10-01T00:00:00.000Z",
    last_seen_at: "2026-11-01T00:00:00.000Z",
    removed_at: null,
    status: "alive",
    reason: "upcoming_event",
    status_since: "2026-10-01T00:00:00.000Z",
    last_checked_at: "2026-10-31T00:00:00.000Z",
    failing_since: null,
    failing_reason: null,
    consecutive_failures: 0,
    ever_alive: 1,
    last_activity_at: "2026-10-10T18:00:00.000Z",
    next_event_at: "2026-12-10T18:00:00.000Z",
    last_check_id: 1,
    search_key: "pysilesia | katowice | poland",
    place_label: null,
    source_lines: null,
    ...p,
  };
}

export function makeCheck(p: Partial<CheckRow> = {}): CheckRow {
  return {
    id: 1,
    group_id: "pysilesia-abc123",
    scan_id: 1,
    checked_at: "2026-10-31T00:00:00.000Z",
    status: "alive",
    reason: "upcoming_event",
    http_status: 200,
    final_url: "https://www.meetup.com/PySilesia/",
    redirects: "[]",
    timings: "{}",
    evidence: JSON.stringify({ title: "PySilesia | Meetup" }),
    ...p,
  };
}
