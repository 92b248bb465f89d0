import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type SQLiteType from "better-sqlite3";
import { Kysely, PostgresAdapter, PostgresDialect, SqliteDialect } from "kysely";
import type pg from "pg";
import { migrateToLatest } from "./migrate.js";
import type { Database } from "./schema.js";

export type Db = Kysely<Database>;

/**
 * better-sqlite3 12 runs on Node 20 but aborts on Node 24.19+ (a Node regression in node::ObjectWrap,
 * nodejs/node#65446); better-sqlite3 13 (Node-API) fixes that but needs Node 22+. Both are declared
 * (13 as an optional dependency that npm installs only where it can run); this picks the right one.
 */
function loadSqlite(): typeof SQLiteType {
  const require = createRequire(import.meta.url);
  if (Number(process.versions.node.split(".")[0]) >= 22) {
    try {
      return require("better-sqlite3-napi") as typeof SQLiteType;
    } catch {
      // not installed here: fall back to 12.x
    }
  }
  return require("better-sqlite3") as typeof SQLiteType;
}

const SQLite = loadSqlite();

/** True for a `postgres://` or `postgresql://` URL (DATABASE_URL); anything else is a SQLite file path. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The database location with any password replaced, fit for a log line. */
export function describeDatabase(location: string): string {
  if (!isPostgresUrl(location)) return location;
  try {
    const u = new URL(location);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}

export type Dialect = "sqlite" | "postgres";

// biome-ignore lint/suspicious/noExplicitAny: any database schema
export function dialectOf(db: Kysely<any>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
}

export interface OpenOptions {
  /**
   * SQLite's page cache, in MiB (better-sqlite3's default: 16). The bot's look-ups read a few index
   * pages each and are no slower with 2 MiB; the CLI's bulk writes keep the default.
   */
  sqliteCacheMiB?: number;
}

/**
 * Opens the database and applies pending migrations: a PostgreSQL server for a `postgres://` URL,
 * otherwise a SQLite file (created if needed, in WAL mode).
 */
export async function openDatabase(location: string, o: OpenOptions = {}): Promise<Db> {
  const db = isPostgresUrl(location) ? await openPostgres(location) : openSqlite(location, o);
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

/** pg is loaded only for a PostgreSQL URL: on SQLite its ~13 MiB would sit unused in every process. */
async function openPostgres(url: string): Promise<Db> {
  const { default: pgModule } = (await import("pg")) as { default: typeof pg };
  // bigint (count(*)) arrives as a string by default; Poick's counts fit a JS number. Per pool, not global.
  const types = {
    getTypeParser: ((oid: number, format?: "text" | "binary") =>
      oid === pgModule.types.builtins.INT8
        ? (v: string) => Number(v)
        : pgModule.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const pool = new pgModule.Pool({ connectionString: url, max: 10, types });
  // An idle client that loses its server emits 'error' on the pool; without a listener that ends the process.
  pool.on("error", () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

function openSqlite(path: string, o: OpenOptions): Db {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  if (o.sqliteCacheMiB !== undefined) sqlite.pragma(`cache_size = ${-Math.round(o.sqliteCacheMiB * 1024)}`);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
}

/**
 * kysely's SQLite driver prepares every query afresh; a sync of 100,000 groups runs the same 500-row INSERT
 * 200 times and the same gazetteer look-up tens of thousands of times, and preparing was a tenth of its CPU.
 * Prepared statements are kept by their SQL, the least recently used dropped past `size`. Safe because kysely
 * runs one query at a time on SQLite's single connection; SQLite re-prepares a statement by itself after a
 * schema change.
 */
function withStatementCache(sqlite: SQLiteType.Database, size = 200) {
  const statements = new Map<string, SQLiteType.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string): SQLiteType.Statement {
      let stmt = statements.get(sql);
      if (stmt) statements.delete(sql);
      else {
        stmt = sqlite.prepare(sql);
        if (statements.size >= size) statements.delete(statements.keys().next().value as string);
      }
      statements.set(sql, stmt);
      return stmt;
    },
  };
}

export { MigrationError, migrateToLatest } from "./migrate.js";
export { writeTransaction } from "./write-transaction.js";
