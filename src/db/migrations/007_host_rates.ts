import type { Kysely } from "kysely";

// Each host's learnt request pace, so the next scan starts where the last one ended instead of
// creeping up from the polite start again (or hitting a host that said 429 at full speed).
// Numbered 007: 003–006 are taken.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("host_rates")
    .ifNotExists()
    .addColumn("host", "text", (c) => c.primaryKey())
    .addColumn("rate", "real", (c) => c.notNull())
    .addColumn("announced", "real")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("host_rates").ifExists().execute();
}
