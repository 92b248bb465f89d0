import { createHash } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { type Db, dialectOf } from "../db/connect.js";
import type { Database } from "../db/schema.js";

/**
 * Copies a whole Poick database into another one (SQLite → PostgreSQL for an operator who outgrows one
 * machine; any direction works): every table in batches, in one transaction on the target, then checks
 * each table on both sides — row count and a checksum of every row's values. Both databases must be
 * migrated to the same version (openDatabase does that); the target must hold no Poick data yet.
 */

/** Every table, parents before children; key = the columns that order a table for batching. */
const TABLES: { name: keyof Database; key: string[] }[] = [
  { name: "sources", key: ["id"] },
  { name: "groups", key: ["id"] },
  { name: "cities", key: ["id"] },
  { name: "city_names", key: ["key", "city_id"] },
  { name: "meta", key: ["key"] },
  { name: "scans", key: ["id"] },
  { name: "checks", key: ["id"] },
  { name: "guild_settings", key: ["guild_id"] },
  { name: "outbox", key: ["id"] },
  { name: "events", key: ["id"] },
  { name: "job_locks", key: ["name"] },
  { name: "job_runs", key: ["name"] },
];
/** Tables whose id comes from a sequence on PostgreSQL: the sequence must continue after the copied ids. */
const SERIAL_TABLES = ["scans", "checks", "outbox", "events"] as const;
/** Meta rows that describe the engine, not the data (written by a migration on each side). */
const ENGINE_META_KEYS = ["spatial_index", "search_index"];
/** Rows per INSERT: under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters for the widest table. */
const MAX_PARAMS = 30_000;

export interface TableCopy {
  table: string;
  rows: number;
  checksum: string;
}

export type CopyOutcome =
  | { kind: "copied"; tables: TableCopy[]; ms: number }
  | { kind: "target_not_empty"; tables: string[] }
  | { kind: "mismatch"; table: string; source: TableCopy; target: TableCopy };

export interface CopyOptions {
  /** Rows read and written per batch (fewer for wide tables if the parameter limit needs it). */
  batchRows?: number;
  onProgress?: (table: string, done: number, total: number) => void;
}

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;
type Row = Record<string, unknown>;

export async function copyDatabase(from: Db, to: Db, opts: CopyOptions = {}): Promise<CopyOutcome> {
  const started = performance.now();
  const src = from as unknown as AnyDb;
  const dst = to as unknown as AnyDb;
  const busy: string[] = [];
  for (const t of TABLES) if ((await count(dst, t.name)) > 0) busy.push(t.name);
  if (busy.length) return { kind: "target_not_empty", tables: busy };

  await dst.transaction().execute(async (trx) => {
    for (const t of TABLES) {
      const total = await count(src, t.name);
      let done = 0;
      for await (const batch of batches(src, t.name, t.key, opts.batchRows ?? 1000)) {
        const width = Object.keys(batch[0] as Row).length;
        const per = Math.max(1, Math.floor(MAX_PARAMS / width));
        for (let i = 0; i < batch.length; i += per) {
          await trx
            .insertInto(t.name)
            .values(batch.slice(i, i + per))
            .execute();
        }
        done += batch.length;
        opts.onProgress?.(t.name, done, total);
      }
    }
    if (dialectOf(to) === "postgres") {
      for (const t of SERIAL_TABLES) {
        await sql`select setval(pg_get_serial_sequence(${t}, 'id'), coalesce((select max(id) from ${sql.table(t)}), 0) + 1, false)`.execute(
          trx,
        );
      }
    }
  });

  const verified = await verifyCopy(from, to, opts.batchRows);
  if (verified.kind === "mismatch") return verified;
  return { kind: "copied", tables: verified.tables, ms: performance.now() - started };
}

/** Compares every table of two databases: row counts and checksums of the rows' values. */
export async function verifyCopy(
  from: Db,
  to: Db,
  batchRows = 1000,
): Promise<{ kind: "same"; tables: TableCopy[] } | Extract<CopyOutcome, { kind: "mismatch" }>> {
  const tables: TableCopy[] = [];
  for (const t of TABLES) {
    const a = await fingerprint(from as unknown as AnyDb, t.name, t.key, batchRows);
    const b = await fingerprint(to as unknown as AnyDb, t.name, t.key, batchRows);
    if (a.rows !== b.rows || a.checksum !== b.checksum)
      return { kind: "mismatch", table: t.name, source: a, target: b };
    tables.push(a);
  }
  return { kind: "same", tables };
}

async function count(db: AnyDb, table: string): Promise<number> {
  let q = db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n"));
  if (table === "meta") q = q.where("key", "not in", ENGINE_META_KEYS);
  const r = await q.executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The table in key order, `size` rows at a time (keyset paging: each batch starts after the last key seen). */
async function* batches(db: AnyDb, table: string, key: string[], size: number): AsyncGenerator<Row[]> {
  let last: unknown[] | null = null;
  for (;;) {
    let q = db.selectFrom(table).selectAll();
    if (table === "meta") q = q.where("key", "not in", ENGINE_META_KEYS);
    if (last) {
      const after = last;
      q = q.where((eb) =>
        key.length === 1
          ? eb(eb.ref(key[0] as string), ">", after[0])
          : eb(eb.refTuple(key[0] as string, key[1] as string), ">", eb.tuple(after[0], after[1])),
      );
    }
    for (const k of key) q = q.orderBy(k);
    const rows = (await q.limit(size).execute()) as Row[];
    if (rows.length === 0) return;
    yield rows;
    const end = rows.at(-1) as Row;
    last = key.map((k) => end[k]);
    if (rows.length < size) return;
  }
}

/**
 * Row count and a checksum of every row's values (columns by name, so column order doesn't matter). The
 * per-row hashes are added up, not chained: the two engines may order text keys differently.
 */
async function fingerprint(db: AnyDb, table: string, key: string[], size: number): Promise<TableCopy> {
  let rows = 0;
  let sum = 0n;
  const mod = 1n << 128n;
  for await (const batch of batches(db, table, key, size)) {
    for (const row of batch) {
      const canonical = JSON.stringify(
        Object.keys(row)
          .sort()
          .map((k) => [k, row[k] ?? null]),
      );
      sum = (sum + BigInt(`0x${createHash("sha256").update(canonical).digest("hex").slice(0, 32)}`)) % mod;
      rows++;
    }
  }
  return { table, rows, checksum: sum.toString(16).padStart(32, "0") };
}
