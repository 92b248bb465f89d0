import { type Kysely, type Migration, SqliteAdapter, sql } from "kysely";
import { migrations as ALL } from "./migrations/index.js";
import type { Database } from "./schema.js";
import { writeTransaction } from "./write-transaction.js";

type AnyDb = Kysely<Database>;

export class MigrationError extends Error {
  override name = "MigrationError";
}

export interface MigrationOutcome {
  name: string;
  status: "applied" | "already";
}

/** Any number, the same in every process: the PostgreSQL advisory lock that serialises migrations. */
const PG_MIGRATION_LOCK = 72_026_001;

/**
 * Applies pending migrations, each in its own transaction and under a lock every process respects:
 * SQLite's write lock (BEGIN IMMEDIATE, waiting out busy_timeout) or a PostgreSQL advisory lock.
 * Two processes starting together apply each migration once; a crash mid-migration rolls back only
 * that one, and the next start picks up there. (Kysely's Migrator runs them all in one deferred
 * transaction on SQLite, where a second process fails with SQLITE_BUSY instead of waiting.) The
 * bookkeeping table is Kysely's own, so databases it migrated carry on.
 */
export async function migrateToLatest(
  db: AnyDb,
  migrations: Record<string, Migration> = ALL,
): Promise<MigrationOutcome[]> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  const locked = <T>(fn: (trx: AnyDb) => Promise<T>): Promise<T> =>
    writeTransaction(db, async (trx) => {
      if (!sqlite) await sql`select pg_advisory_xact_lock(${PG_MIGRATION_LOCK})`.execute(trx);
      return fn(trx);
    });
  await locked((trx) =>
    trx.schema
      .createTable("kysely_migration")
      .ifNotExists()
      .addColumn("name", "varchar(255)", (c) => c.notNull().primaryKey())
      .addColumn("timestamp", "varchar(255)", (c) => c.notNull())
      .execute(),
  );
  const out: MigrationOutcome[] = [];
  for (const name of Object.keys(migrations).sort()) {
    const m = migrations[name] as Migration;
    try {
      const status = await locked(async (trx) => {
        const done = await sql<{
          name: string;
        }>`select name from kysely_migration where name = ${name}`.execute(trx);
        if (done.rows.length > 0) return "already" as const;
        await m.up(trx as Kysely<unknown>);
        await sql`insert into kysely_migration (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(
          trx,
        );
        return "applied" as const;
      });
      out.push({ name, status });
    } catch (err) {
      throw new MigrationError(`Database migration ${name} failed: ${String((err as Error).message ?? err)}`);
    }
  }
  return out;
}
