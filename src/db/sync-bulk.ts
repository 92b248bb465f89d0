import { CompiledQuery, type RawBuilder, sql } from "kysely";
import { BATCH_ROWS } from "./batches.js";
import { type Db, dialectOf } from "./connect.js";
import type { GroupRow, GroupsTable } from "./schema.js";

/**
 * The bulk statements of a sync, one statement per batch of rows, both engines side by side. A sync of 100,000
 * groups spent more time in kysely building 200 multi-row INSERTs of 10,000 values each (1.4 s) than SQLite
 * spent storing them, and updated changed groups one statement each. Here the SQL text is fixed per batch size:
 *
 * - SQLite: multi-row VALUES with bound parameters, so better-sqlite3 binds numbers as they are and the
 *   prepared statement is reused (connect.ts keeps them by SQL). A JSON parameter read with json_each was
 *   tried: a third slower here (SQLite parses every row's JSON once per column taken out of it).
 * - PostgreSQL: one JSON parameter per batch, read as rows of the table's own type (json_populate_recordset):
 *   one value to send and parse instead of 10,000 bound ones, and no column types to repeat here.
 *
 * Column names below are constants, never input.
 */

/**
 * Rows per statement on PostgreSQL (one JSON parameter). Small enough that the JSON text stays a young object
 * (V8 puts strings over 128 KB in its large-object space, collected only by full collections: 2,000-row batches
 * left 100 MB of them behind during a 100,000-group sync).
 */
const JSON_ROWS = 250;
/** Ids per statement (a JSON array of 2,000 ids is ~60 KB). */
const ID_ROWS = 2_000;

/** A group's listing fields, the ones a sync compares and rewrites (the scanner's columns are never touched). */
export const LISTING_COLUMNS = [
  "name",
  "url",
  "normalized_url",
  "description",
  "continent",
  "country_code",
  "country_name",
  "region",
  "city",
  "lat",
  "lon",
  "geo_confidence",
  "geo_level",
  "place_label",
  "source_lines",
] as const satisfies readonly (keyof GroupsTable)[];

export type ListingColumn = (typeof LISTING_COLUMNS)[number];

/** Every column a sync writes into a new group's row. */
export const NEW_GROUP_COLUMNS = [
  "id",
  ...LISTING_COLUMNS,
  "search_key",
  "source_id",
  "first_seen_at",
  "last_seen_at",
] as const satisfies readonly (keyof GroupsTable)[];

export type NewGroupColumn = (typeof NEW_GROUP_COLUMNS)[number];

export const CHANNEL_COLUMNS = ["group_id", "position", "kind", "url", "normalized_url", "label"] as const;

type Row = Record<string, unknown>;

async function run(db: Db, sqlText: string, parameters: unknown[]): Promise<void> {
  await db.executeQuery(CompiledQuery.raw(sqlText, parameters));
}

/** Slices of `items`, `size` at a time. */
function* slices<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** How a statement reads a batch of rows: as a table `j` of the columns, and the placeholder of its own parameter. */
interface RowsSource {
  /** `insert into …` / `update …` around the rows; `from` is a FROM item, `values` a VALUES list (SQLite only). */
  statement: (from: string, extra: string) => string;
  /** SQLite: the plain multi-row INSERT (VALUES straight into the table, no table expression around them). */
  sqliteValues?: (values: string) => string;
}

/**
 * One statement per batch of rows. SQLite: bound parameters in text order (the rows' VALUES come first, `extra`
 * after them). PostgreSQL: the rows as one JSON parameter ($1), `extra` as $2.
 */
async function withRows<T>(
  db: Db,
  table: "groups" | "group_channels",
  columns: readonly string[],
  items: readonly T[],
  toRow: (item: T) => Row,
  source: RowsSource,
  extra?: unknown,
): Promise<void> {
  const extras = extra === undefined ? [] : [extra];
  if (dialectOf(db) === "postgres") {
    const text = source.statement(`json_populate_recordset(null::${table}, $1::json) as j`, "$2");
    for (const batch of slices(items, JSON_ROWS))
      await run(db, text, [JSON.stringify(batch.map((item) => pick(toRow(item), columns))), ...extras]);
    return;
  }
  const perStatement = Math.max(1, Math.min(BATCH_ROWS, Math.floor(30_000 / columns.length)));
  const texts = new Map<number, string>();
  for (const batch of slices(items, perStatement)) {
    let text = texts.get(batch.length);
    if (!text) {
      const tuple = `(${columns.map(() => "?").join(", ")})`;
      const values = `values ${Array.from({ length: batch.length }, () => tuple).join(", ")}`;
      text = source.sqliteValues
        ? source.sqliteValues(values)
        : `with j(${columns.join(", ")}) as (${values}) ${source.statement("j", "?")}`;
      texts.set(batch.length, text);
    }
    const params: unknown[] = [];
    for (const item of batch) {
      const r = toRow(item);
      for (const c of columns) params.push(r[c] ?? null);
    }
    params.push(...extras);
    await run(db, text, params);
  }
}

/** Only `columns` of a row (JSON for PostgreSQL, which reads absent keys as null). */
function pick(r: Row, columns: readonly string[]): Row {
  const out: Row = {};
  for (const c of columns) out[c] = r[c] ?? null;
  return out;
}

/**
 * One statement per batch of ids, given to it as a JSON array (`ids` is a subquery of them). `extra` is the
 * statement's one other parameter, placed before the ids in the text.
 */
async function withIds(
  db: Db,
  ids: readonly string[],
  statement: (ids: string, extra: string) => string,
  extra?: unknown,
): Promise<void> {
  const pg = dialectOf(db) === "postgres";
  const extras = extra === undefined ? [] : [extra];
  const text = pg
    ? statement(`select json_array_elements_text($${extras.length + 1}::json)`, "$1")
    : statement("select value from json_each(?)", "?");
  for (const batch of slices(ids, ID_ROWS)) await run(db, text, [...extras, JSON.stringify(batch)]);
}

/** New groups, in the order given, each made a row only when its batch is written. */
export async function insertGroups<T>(db: Db, groups: readonly T[], toRow: (g: T) => Row): Promise<void> {
  const cols = NEW_GROUP_COLUMNS.join(", ");
  await withRows(db, "groups", NEW_GROUP_COLUMNS, groups, toRow, {
    statement: (j) => `insert into groups (${cols}) select ${cols} from ${j}`,
    sqliteValues: (values) => `insert into groups (${cols}) ${values}`,
  });
}

/**
 * Listed groups whose listing fields changed: `columns` (with search_key) from each row, found by id, seen now and
 * no longer removed. The spatial index follows by itself (triggers on SQLite, the indexes on PostgreSQL).
 */
export async function updateListedGroups(
  db: Db,
  columns: readonly (ListingColumn | "search_key")[],
  rows: readonly Row[],
  now: string,
): Promise<void> {
  const set = columns.map((c) => `${c} = j.${c}`).join(", ");
  await withRows(
    db,
    "groups",
    ["id", ...columns],
    rows,
    (r) => r,
    {
      statement: (j, seen) =>
        `update groups set ${set}, last_seen_at = ${seen}, removed_at = null from ${j} where groups.id = j.id`,
    },
    now,
  );
}

/** Groups seen again unchanged: only the time they were last seen. */
export async function touchGroups(db: Db, ids: readonly string[], now: string): Promise<void> {
  await withIds(db, ids, (q, seen) => `update groups set last_seen_at = ${seen} where id in (${q})`, now);
}

/** Groups no longer listed. */
export async function markGroupsRemoved(db: Db, ids: readonly string[], now: string): Promise<void> {
  await withIds(db, ids, (q, at) => `update groups set removed_at = ${at} where id in (${q})`, now);
}

/** Matched groups whose address changes, moved out of the unique (source, address) index's way first. */
export async function moveGroupAddressesAside(db: Db, ids: readonly string[]): Promise<void> {
  await withIds(db, ids, (q) => `update groups set normalized_url = 'moving:' || id where id in (${q})`);
}

/** A source's stored groups at these addresses (each found through the unique (source, address) index). */
export async function storedAtAddresses(
  db: Db,
  sourceId: string,
  addresses: readonly string[],
): Promise<{ id: string; normalized_url: string; removed_at: string | null }[]> {
  const q =
    dialectOf(db) === "postgres"
      ? "select id, normalized_url, removed_at from groups where source_id = $1 and normalized_url in (select json_array_elements_text($2::json))"
      : "select id, normalized_url, removed_at from groups where source_id = ? and normalized_url in (select value from json_each(?))";
  const out: { id: string; normalized_url: string; removed_at: string | null }[] = [];
  for (const batch of slices(addresses, ID_ROWS)) {
    const r = await db.executeQuery<{ id: string; normalized_url: string; removed_at: string | null }>(
      CompiledQuery.raw(q, [sourceId, JSON.stringify(batch)]),
    );
    for (const row of r.rows) out.push(row);
  }
  return out;
}

/** Ids of a source's listed (not removed) groups, but for these. */
export async function listedIdsExcept(db: Db, sourceId: string, keep: readonly string[]): Promise<string[]> {
  const q =
    dialectOf(db) === "postgres"
      ? "select id from groups where source_id = $1 and removed_at is null and id not in (select json_array_elements_text($2::json))"
      : "select id from groups where source_id = ? and removed_at is null and id not in (select value from json_each(?))";
  const r = await db.executeQuery<{ id: string }>(CompiledQuery.raw(q, [sourceId, JSON.stringify(keep)]));
  return r.rows.map((row) => row.id);
}

/** A group's stored listing fields, search key and removal: what a sync compares with the listing. */
export type StoredListing = Pick<GroupRow, "id" | ListingColumn | "search_key" | "removed_at">;

/** The stored listing fields of these groups, for telling what changed. */
export async function listingFieldsOf(db: Db, ids: readonly string[]): Promise<StoredListing[]> {
  const cols = ["id", ...LISTING_COLUMNS, "search_key", "removed_at"].join(", ");
  const q =
    dialectOf(db) === "postgres"
      ? "select json_array_elements_text($1::json)"
      : "select value from json_each(?)";
  const out: StoredListing[] = [];
  for (const batch of slices(ids, ID_ROWS)) {
    const r = await db.executeQuery<StoredListing>(
      CompiledQuery.raw(`select ${cols} from groups where id in (${q})`, [JSON.stringify(batch)]),
    );
    for (const row of r.rows) out.push(row);
  }
  return out;
}

/** Channel rows, in the order given. */
export async function insertChannels(db: Db, rows: readonly Row[]): Promise<void> {
  const cols = CHANNEL_COLUMNS.join(", ");
  await withRows(db, "group_channels", CHANNEL_COLUMNS, rows, (r) => r, {
    statement: (j) => `insert into group_channels (${cols}) select ${cols} from ${j}`,
    sqliteValues: (values) => `insert into group_channels (${cols}) ${values}`,
  });
}

/** Every channel of these groups. */
export async function deleteChannelsOf(db: Db, groupIds: readonly string[]): Promise<void> {
  await withIds(db, groupIds, (q) => `delete from group_channels where group_id in (${q})`);
}

/** Text given as its UTF-8 bytes, stored as text: the bytes are bound as they are and read as text by the engine. */
export function textFromUtf8(db: Db, bytes: Buffer): RawBuilder<string> {
  return dialectOf(db) === "postgres"
    ? sql<string>`convert_from(${bytes}, 'UTF8')`
    : sql<string>`cast(${bytes} as text)`;
}
