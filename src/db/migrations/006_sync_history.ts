import type { Kysely } from "kysely";

// Every applied sync: how many groups it found and added, and whether it was flagged for a human
// (a sudden flood of new groups). The guard compares a new listing with the largest recent count.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("sync_history")
    .addColumn("source_id", "text", (c) => c.notNull())
    .addColumn("synced_at", "text", (c) => c.notNull())
    .addColumn("group_count", "integer", (c) => c.notNull())
    .addColumn("added", "integer", (c) => c.notNull())
    .addColumn("flagged", "text")
    .addPrimaryKeyConstraint("sync_history_pk", ["source_id", "synced_at"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("sync_history").execute();
}
