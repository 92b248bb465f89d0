import { type Kysely, PostgresAdapter, sql } from "kysely";

/**
 * Place keys are compared byte by byte: a prefix look-up is the range [prefix, prefix + 1), which only
 * means "starts with" under a byte-order collation. SQLite compares text that way already; a PostgreSQL
 * database created with a language locale (en_US.UTF-8, Debian's default) would not, so the key columns
 * get the "C" collation there (their indexes are rebuilt with them).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`alter table cities alter column key type text collate "C"`.execute(db);
  await sql`alter table city_names alter column key type text collate "C"`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`alter table cities alter column key type text collate "default"`.execute(db);
  await sql`alter table city_names alter column key type text collate "default"`.execute(db);
}
