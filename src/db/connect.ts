import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type SQLiteType from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
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

/** Opens (creating if needed) the SQLite file, in WAL mode, and applies pending migrations. */
export async function openDatabase(path: string): Promise<Db> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrateToLatest(db);
  return db;
}

export { MigrationError, migrateToLatest } from "./migrate.js";
export { writeTransaction } from "./write-transaction.js";
