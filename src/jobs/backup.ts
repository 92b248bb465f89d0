import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { sql } from "kysely";
import { type Db, dialectOf, openDatabase } from "../db/connect.js";

export type BackupOutcome =
  | { kind: "done"; file: string; bytes: number; groups: number; ms: number }
  /** PostgreSQL is backed up with its own tools (pg_dump); see docs/deploy.md. */
  | { kind: "not_sqlite" }
  | { kind: "exists"; file: string };

/**
 * A consistent copy of the SQLite database while the bot keeps running: `VACUUM INTO` reads one
 * snapshot (WAL mode lets writers go on meanwhile) and writes a compact, self-contained file (no -wal
 * beside it). It goes to a temporary name first and is checked (it opens with current migrations and
 * passes SQLite's integrity check) before taking the requested name, so a crash never leaves a half
 * backup that looks whole.
 */
export async function backupSqlite(
  db: Db,
  file: string,
  opts: { overwrite?: boolean } = {},
): Promise<BackupOutcome> {
  if (dialectOf(db) !== "sqlite") return { kind: "not_sqlite" };
  const target = resolve(file);
  if (existsSync(target) && !opts.overwrite) return { kind: "exists", file: target };
  const started = performance.now();
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.partial`);
  rmSync(tmp, { force: true });
  let groups = 0;
  try {
    // VACUUM INTO reads one snapshot; it can't run inside a transaction, and needs none.
    await sql`vacuum into ${tmp}`.execute(db);
    const copy = await openDatabase(tmp);
    try {
      const check = await sql<{ quick_check: string }>`pragma quick_check`.execute(copy);
      if (check.rows[0]?.quick_check !== "ok")
        throw new Error(`backup failed its integrity check: ${JSON.stringify(check.rows)}`);
      const n = await copy
        .selectFrom("groups")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      groups = Number(n.n);
      // Back to a single file: a backup should be one file to copy around.
      await sql`pragma journal_mode = delete`.execute(copy);
    } finally {
      await copy.destroy();
    }
    renameSync(tmp, target);
    return {
      kind: "done",
      file: target,
      bytes: statSync(target).size,
      groups,
      ms: performance.now() - started,
    };
  } finally {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  }
}
