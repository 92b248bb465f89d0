import { type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, PostgresAdapter } from "kysely";

function withSerialId(db: Kysely<unknown>, table: CreateTableBuilder<string>): CreateTableBuilder<string> {
  return db.getExecutor().adapter instanceof PostgresAdapter
    ? table.addColumn("id", "serial", (c: ColumnDefinitionBuilder) => c.primaryKey())
    : table.addColumn("id", "integer", (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement());
}

// A group's other links (mailing list, Meetup, Twitter…), the place a region stands for, the feature code
// that tells a region's capital in the gazetteer, and the last listing as read (its format and raw text),
// which the wiki clean-up report and the format-aware sync guard need.
export async function up(db: Kysely<unknown>): Promise<void> {
  await withSerialId(db, db.schema.createTable("group_channels"))
    .addColumn("group_id", "text", (c) => c.notNull().references("groups.id"))
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("normalized_url", "text", (c) => c.notNull())
    .addColumn("label", "text", (c) => c.notNull().defaultTo(""))
    .execute();
  await db.schema
    .createIndex("group_channels_group")
    .on("group_channels")
    .columns(["group_id", "position"])
    .execute();
  await db.schema.createIndex("group_channels_url").on("group_channels").column("normalized_url").execute();

  await db.schema.alterTable("groups").addColumn("place_label", "text").execute();
  await db.schema.alterTable("groups").addColumn("source_lines", "text").execute();
  await db.schema.alterTable("cities").addColumn("feature_code", "text").execute();

  await withSerialId(db, db.schema.createTable("listing_snapshots"))
    .addColumn("source_id", "text", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("format", "text", (c) => c.notNull())
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("group_count", "integer", (c) => c.notNull())
    .addColumn("skipped", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("synced_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("listing_snapshots_source")
    .on("listing_snapshots")
    .columns(["source_id", "synced_at"])
    .execute();
  await db.schema.alterTable("sources").addColumn("format", "text").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("sources").dropColumn("format").execute();
  await db.schema.dropTable("listing_snapshots").ifExists().execute();
  await db.schema.alterTable("cities").dropColumn("feature_code").execute();
  await db.schema.alterTable("groups").dropColumn("source_lines").execute();
  await db.schema.alterTable("groups").dropColumn("place_label").execute();
  await db.schema.dropTable("group_channels").ifExists().execute();
}
