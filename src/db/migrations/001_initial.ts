import { type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, PostgresAdapter } from "kysely";

// Migrations stay in kysely's schema builder so the same file runs on SQLite and PostgreSQL.
function withSerialId(db: Kysely<unknown>, table: CreateTableBuilder<string>): CreateTableBuilder<string> {
  return db.getExecutor().adapter instanceof PostgresAdapter
    ? table.addColumn("id", "serial", (c: ColumnDefinitionBuilder) => c.primaryKey())
    : table.addColumn("id", "integer", (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement());
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("sources")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("etag", "text")
    .addColumn("last_modified", "text")
    .addColumn("last_synced_at", "text")
    .addColumn("last_group_count", "integer", (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable("groups")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("normalized_url", "text", (c) => c.notNull())
    .addColumn("source_id", "text", (c) => c.notNull().references("sources.id"))
    .addColumn("description", "text")
    .addColumn("continent", "text")
    .addColumn("country_code", "text")
    .addColumn("country_name", "text")
    .addColumn("region", "text")
    .addColumn("city", "text")
    .addColumn("lat", "double precision")
    .addColumn("lon", "double precision")
    .addColumn("geo_confidence", "double precision", (c) => c.notNull().defaultTo(0))
    .addColumn("geo_level", "text", (c) => c.notNull().defaultTo("none"))
    .addColumn("first_seen_at", "text", (c) => c.notNull())
    .addColumn("last_seen_at", "text", (c) => c.notNull())
    .addColumn("removed_at", "text")
    .addColumn("status", "text", (c) => c.notNull().defaultTo("unknown"))
    .addColumn("reason", "text")
    .addColumn("status_since", "text")
    .addColumn("last_checked_at", "text")
    .addColumn("failing_since", "text")
    .addColumn("failing_reason", "text")
    .addColumn("consecutive_failures", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("ever_alive", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_activity_at", "text")
    .addColumn("next_event_at", "text")
    .addColumn("last_check_id", "integer")
    .execute();
  await db.schema
    .createIndex("groups_source_normalized_url")
    .on("groups")
    .columns(["source_id", "normalized_url"])
    .unique()
    .execute();
  await db.schema.createIndex("groups_name").on("groups").column("name").execute();
  await db.schema.createIndex("groups_status").on("groups").column("status").execute();
  await db.schema.createIndex("groups_lat").on("groups").column("lat").execute();

  await db.schema
    .createTable("cities")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("country", "text", (c) => c.notNull())
    .addColumn("admin_code", "text")
    .addColumn("population", "integer", (c) => c.notNull())
    .addColumn("lat", "double precision", (c) => c.notNull())
    .addColumn("lon", "double precision", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("city_names")
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("city_id", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("city_names_pk", ["key", "city_id"])
    .execute();

  await db.schema
    .createTable("meta")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .execute();

  await withSerialId(db, db.schema.createTable("scans"))
    .addColumn("started_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text")
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("total", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("reason", "text")
    .execute();

  await withSerialId(db, db.schema.createTable("checks"))
    .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
    .addColumn("scan_id", "integer")
    .addColumn("checked_at", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("http_status", "integer")
    .addColumn("final_url", "text")
    .addColumn("redirects", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("timings", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("evidence", "text", (c) => c.notNull().defaultTo("{}"))
    .execute();
  await db.schema.createIndex("checks_group_time").on("checks").columns(["group_id", "checked_at"]).execute();
  // One check per group per scan: a resumed scan can't count a group twice.
  await db.schema
    .createIndex("checks_scan_group")
    .on("checks")
    .columns(["scan_id", "group_id"])
    .unique()
    .execute();

  await db.schema
    .createTable("guild_settings")
    .addColumn("guild_id", "text", (c) => c.primaryKey())
    .addColumn("alert_channel_id", "text")
    .addColumn("scope_kind", "text", (c) => c.notNull().defaultTo("all"))
    .addColumn("scope_value", "text")
    .addColumn("scope_lat", "double precision")
    .addColumn("scope_lon", "double precision")
    .addColumn("scope_radius_km", "double precision")
    .addColumn("alerts_since", "text")
    .addColumn("digest_enabled", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("status_board_channel_id", "text")
    .addColumn("status_board_message_id", "text")
    .addColumn("last_error", "text")
    .addColumn("last_error_at", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await withSerialId(db, db.schema.createTable("outbox"))
    .addColumn("key", "text", (c) => c.notNull().unique())
    .addColumn("guild_id", "text", (c) => c.notNull())
    .addColumn("channel_id", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("group_id", "text")
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "text", (c) => c.notNull())
    .addColumn("claimed_until", "text")
    .addColumn("delivered_at", "text")
    .addColumn("failed_at", "text")
    .addColumn("message_id", "text")
    .addColumn("last_error", "text")
    .execute();
  await db.schema
    .createIndex("outbox_pending")
    .on("outbox")
    .columns(["delivered_at", "failed_at", "next_attempt_at"])
    .execute();

  await withSerialId(db, db.schema.createTable("events"))
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("detail", "text", (c) => c.notNull().defaultTo("{}"))
    .execute();
  await db.schema.createIndex("events_at").on("events").column("at").execute();

  await db.schema
    .createTable("job_locks")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("holder", "text", (c) => c.notNull())
    .addColumn("acquired_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("job_runs")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("last_started_at", "text")
    .addColumn("last_finished_at", "text")
    .addColumn("last_result", "text")
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    "job_runs",
    "job_locks",
    "events",
    "outbox",
    "guild_settings",
    "checks",
    "scans",
    "meta",
    "city_names",
    "cities",
    "groups",
    "sources",
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
