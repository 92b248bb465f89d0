import { type Kysely, SqliteAdapter, sql } from "kysely";
import type { Database } from "./schema.js";

/**
 * A transaction that will write. On SQLite it starts with BEGIN IMMEDIATE: it takes the write lock
 * up front (waiting up to busy_timeout), so a read-then-write transaction can't fail half-way with
 * "database is locked" when another process (the bot, an operator's CLI) wrote in between.
 * On PostgreSQL it is a plain transaction.
 */
export async function writeTransaction<T>(
  db: Kysely<Database>,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return db.transaction().execute(fn);
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw err;
    }
  });
}
