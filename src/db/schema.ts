import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";
import type { Status } from "../liveness/status.js";

export type { Status };

/** Dates are UTC ISO-8601 strings; booleans are 0/1 integers (portable to PostgreSQL as int). */
export type IsoDate = string;

export interface SourcesTable {
  id: string;
  url: string;
  etag: string | null;
  last_modified: string | null;
  last_synced_at: IsoDate | null;
  last_group_count: number;
  /** Format of the last successful sync's listing */
  format: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface GroupsTable {
  id: string;
  name: string;
  url: string;
  normalized_url: string;
  source_id: string;
  description: string | null;
  continent: string | null;
  country_code: string | null;
  country_name: string | null;
  region: string | null;
  city: string | null;
  lat: number | null;
  lon: number | null;
  /** 0..1: 1 = the named city found in the right country/region; 0.2 = country centroid. */
  geo_confidence: number;
  geo_level: "city" | "region" | "country" | "none";
  first_seen_at: IsoDate;
  last_seen_at: IsoDate;
  removed_at: IsoDate | null;
  // liveness (filled by the scanner)
  status: Generated<Status>;
  reason: string | null;
  status_since: IsoDate | null;
  last_checked_at: IsoDate | null;
  failing_since: IsoDate | null;
  failing_reason: string | null;
  consecutive_failures: Generated<number>;
  ever_alive: Generated<number>;
  last_activity_at: IsoDate | null;
  next_event_at: IsoDate | null;
  last_check_id: number | null;
  /** Folded name | city | country, for accent- and case-insensitive search (see search-key.ts). */
  search_key: Generated<string>;
  /** How to show where the group is: "Kraków", "Silesia (Katowice)", or the country for a fallback. */
  place_label: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON [first, last]: the group's lines in the listing's source, when known. */
  source_lines: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface SyncHistoryTable {
  source_id: string;
  synced_at: IsoDate;
  group_count: number;
  added: number;
  /** Why a human should look at this sync (e.g. a flood of new groups), or null. */
  flagged: string | null;
}

export interface GroupChannelsTable {
  id: Generated<number>;
  group_id: string;
  position: number;
  kind: string;
  url: string;
  normalized_url: string;
  label: string;
}

export interface ListingSnapshotsTable {
  id: Generated<number>;
  source_id: string;
  url: string;
  format: "myst" | "sphinx-html" | "moin-html" | "moin-markup";
  /** The raw listing text of that sync */
  body: string;
  group_count: number;
  /** JSON: [{ text, reason, heading }] */
  skipped: string;
  synced_at: IsoDate;
}

export interface CitiesTable {
  id: number;
  name: string;
  /** accent-folded, lower-case, punctuation collapsed to single spaces */
  key: string;
  country: string;
  admin_code: string | null;
  population: number;
  lat: number;
  lon: number;
  /** GeoNames feature code: PPLA is a region's seat, PPLC a country's capital. */
  feature_code: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface CityNamesTable {
  key: string;
  city_id: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface ScansTable {
  id: Generated<number>;
  started_at: IsoDate;
  finished_at: IsoDate | null;
  state: "running" | "done" | "aborted";
  total: number;
  reason: string | null;
}

export interface ChecksTable {
  id: Generated<number>;
  group_id: string;
  scan_id: number | null;
  checked_at: IsoDate;
  status: Status;
  reason: string;
  http_status: number | null;
  final_url: string | null;
  /** JSON: [{ url, status, location }] */
  redirects: string;
  /** JSON: { totalMs, ... } */
  timings: string;
  /** JSON: free-form evidence (title, matched phrases, activity dates, error code) */
  evidence: string;
}

export interface GuildSettingsTable {
  guild_id: string;
  alert_channel_id: string | null;
  scope_kind: "all" | "continent" | "country" | "near";
  scope_value: string | null;
  scope_lat: number | null;
  scope_lon: number | null;
  scope_radius_km: number | null;
  alerts_since: IsoDate | null;
  digest_enabled: number;
  status_board_channel_id: string | null;
  status_board_message_id: string | null;
  last_error: string | null;
  last_error_at: IsoDate | null;
  updated_at: IsoDate;
}

export interface OutboxTable {
  id: Generated<number>;
  /** idempotency key: one alert per (guild, group, event) */
  key: string;
  guild_id: string;
  channel_id: string;
  kind: "dead" | "revived" | "new" | "digest" | "board";
  group_id: string | null;
  payload: string;
  created_at: IsoDate;
  attempts: number;
  next_attempt_at: IsoDate;
  claimed_until: IsoDate | null;
  delivered_at: IsoDate | null;
  failed_at: IsoDate | null;
  message_id: string | null;
  last_error: string | null;
}

export interface EventsTable {
  id: Generated<number>;
  group_id: string;
  kind: "dead" | "revived" | "new";
  at: IsoDate;
  detail: string;
}

export interface JobLocksTable {
  name: string;
  holder: string;
  acquired_at: IsoDate;
  expires_at: IsoDate;
}

export interface JobRunsTable {
  name: string;
  last_started_at: IsoDate | null;
  last_finished_at: IsoDate | null;
  last_result: string | null;
}

/** A host's request pace learnt by the last scan (requests per second). */
export interface HostRatesTable {
  host: string;
  rate: number;
  announced: number | null;
  updated_at: IsoDate;
}

export interface Database {
  sources: SourcesTable;
  groups: GroupsTable;
  cities: CitiesTable;
  city_names: CityNamesTable;
  meta: MetaTable;
  scans: ScansTable;
  checks: ChecksTable;
  guild_settings: GuildSettingsTable;
  outbox: OutboxTable;
  events: EventsTable;
  job_locks: JobLocksTable;
  job_runs: JobRunsTable;
  group_channels: GroupChannelsTable;
  sync_history: SyncHistoryTable;
  listing_snapshots: ListingSnapshotsTable;
  host_rates: HostRatesTable;
}

export type GroupRow = Selectable<GroupsTable>;
export type NewGroup = Insertable<GroupsTable>;
export type GroupUpdate = Updateable<GroupsTable>;
export type CheckRow = Selectable<ChecksTable>;
export type CityRow = Selectable<CitiesTable>;
export type GuildSettingsRow = Selectable<GuildSettingsTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type GroupChannelRow = Selectable<GroupChannelsTable>;
export type NewGroupChannel = Insertable<GroupChannelsTable>;
