import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach } from "vitest";
import { type Db, openDatabase } from "../../src/db/connect.js";
import { TEMPLATE_DATABASE, withDatabaseName } from "./pg-template.js";

/**
 * Where the suite's databases live: with DATABASE_URL set (npm run test:pg, CI's second run), each test
 * gets a fresh PostgreSQL database, copied from a migrated template (see pg-template.ts); otherwise a
 * fresh SQLite file in a temp folder. Either way with the real migrations, and removed after the test.
 */
export const serverUrl: string | undefined = process.env.DATABASE_URL || undefined;
export const onPostgres = serverUrl !== undefined;
export const dialectName = onPostgres ? "PostgreSQL" : "SQLite";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

export interface TestDatabase {
  /** What openDatabase takes: a SQLite file path or a postgres:// URL. */
  location: string;
  /** A temp folder for the test's other files (removed with the database). */
  dir: string;
  /** The environment a Poick process (CLI, bot) needs to use this database. */
  env: Record<string, string>;
}

/**
 * A fresh, empty database location that lives until `remove()` (for a whole test file: call it in afterAll).
 * Nothing is migrated yet on SQLite; on PostgreSQL it is a copy of the migrated template.
 */
export async function createTestDatabase(
  prefix = "poick-test-",
): Promise<TestDatabase & { remove: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (!serverUrl) {
    const location = join(dir, "poick.db");
    return {
      location,
      dir,
      env: { POICK_DB: location },
      remove: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `poick_t_${process.pid}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`create database ${name} template ${TEMPLATE_DATABASE}`);
  const location = withDatabaseName(serverUrl, name);
  return {
    location,
    dir,
    // POICK_DB beside it names only the data directory (prepared files), so tests leave nothing in the cwd.
    env: { DATABASE_URL: location, POICK_DB: join(dir, "poick.db") },
    remove: async () => {
      rmSync(dir, { recursive: true, force: true });
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

/** Like createTestDatabase, removed after the current test. */
export async function newDatabase(): Promise<TestDatabase> {
  const { remove, ...t } = await createTestDatabase();
  cleanups.push(remove);
  return t;
}

/** A fresh database with the real migrations, open; closed and removed after the test. */
export async function tempDb(): Promise<{ db: Db; path: string; dir: string; env: Record<string, string> }> {
  const t = await newDatabase();
  const db = await openDatabase(t.location);
  // Runs before the database is dropped (cleanups run last-in, first-out).
  cleanups.push(async () => {
    await db.destroy();
  });
  return { db, path: t.location, dir: t.dir, env: t.env };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * A fresh SQLite database whatever DATABASE_URL says: for tests of SQLite-only features (backups) and of
 * copies from SQLite to the suite's database.
 */
export async function tempSqliteDb(): Promise<{ db: Db; path: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "poick-sqlite-"));
  const path = join(dir, "poick.db");
  const db = await openDatabase(path);
  cleanups.push(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, path, dir };
}
