import { type RawBuilder, type SelectQueryBuilder, type SqlBool, sql } from "kysely";
import { type Db, dialectOf } from "./connect.js";
import type { Database, GroupRow } from "./schema.js";
import { searchText } from "./search-key.js";

/**
 * Group search over the folded search_key ("name | city | country", search-key.ts) with the indexes of
 * migration 008. Results are ranked: exact name, name starting with the key, name containing it, city or
 * country containing it; removed groups after all listed ones; within a rank by folded name (byte order,
 * the same on both engines), then name and id. The ranking is done by the database with a LIMIT, and the
 * rows are read in strata so that the common first page stops early:
 *
 * 1. listed groups whose name starts with the key: a range on the folded-name index, read in order;
 * 2. the rest, for keys of 3+ characters from the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL);
 *    for shorter keys first the listed names containing it among the first few thousand names in order
 *    (enough for a common letter or two), else by a scan of the table (as costly as before this index).
 *
 * The key is folded (letters, digits and single spaces only), so it never holds a LIKE wildcard or a quote.
 * The two dialects differ only in the few expressions below.
 */

const SQL = {
  sqlite: {
    nameKey: sql`substr(search_key, 1, instr(search_key, ' | ') - 1)`,
    position: (hay: RawBuilder<unknown>, key: string) => sql<number>`instr(${hay}, ${key})`,
    byteOrder: (col: RawBuilder<unknown>) => col,
    /** FTS5's trigram tokenizer: a phrase of trigrams is exactly "contains" (case_sensitive: keys are folded). */
    trigram: (key: string) =>
      sql<SqlBool>`id in (select k.group_id from groups_trgm t join group_text_keys k on k.key = t.rowid
        where groups_trgm match ${`"${key}"`})`,
  },
  postgres: {
    nameKey: sql`split_part(search_key, ' | ', 1)`,
    position: (hay: RawBuilder<unknown>, key: string) => sql<number>`strpos(${hay}, ${key})`,
    byteOrder: (col: RawBuilder<unknown>) => sql`${col} collate "C"`,
    /** pg_trgm's GIN index answers LIKE; without it (meta.search_index 'none') the same test by a scan. */
    trigram: (key: string) => sql<SqlBool>`search_key like ${`%${key}%`}`,
  },
} as const;

type GroupsSelect = SelectQueryBuilder<Database, "groups", GroupRow>;

/** Keys shorter than this have no trigram: they are found by name prefix, then by a walk or a scan. */
const TRIGRAM = 3;
/** How many listed names (in order) a short key looks through before it scans the table instead. */
const WALK = 2_000;

/** The smallest string above every string that starts with `key` (its last character + 1). */
function afterPrefix(key: string): string {
  const chars = [...key];
  const last = chars.pop() as string;
  return chars.join("") + String.fromCodePoint((last.codePointAt(0) as number) + 1);
}

/** The query plans findGroups runs for a folded key, in order (for tests and EXPLAIN). */
export function groupSearchQueries(db: Db, key: string, limit: number) {
  const d = SQL[dialectOf(db)];
  const nk = d.nameKey;
  const inName = d.position(nk, key);
  const rank = sql<number>`(case when ${nk} = ${key} then 0 when ${inName} = 1 then 1 when ${inName} > 0 then 2
    else 3 end + case when removed_at is null then 0 else 10 end)`;
  const ordered = (q: GroupsSelect, byRank: boolean) =>
    (byRank ? q.orderBy(rank) : q).orderBy(nk).orderBy(d.byteOrder(sql`name`)).orderBy("id");
  const base = db.selectFrom("groups").selectAll();
  const prefix = ordered(
    base
      .where("removed_at", "is", null)
      .where(sql<SqlBool>`${nk} >= ${key}`)
      .where(sql<SqlBool>`${nk} < ${afterPrefix(key)}`),
    false,
  ).limit(limit);
  const notListedPrefix = sql<SqlBool>`${rank} >= 2`;
  const inKey = sql<SqlBool>`${d.position(sql`search_key`, key)} > 0`;
  if ([...key].length >= TRIGRAM) {
    const rest = ordered(base.where(d.trigram(key)).where(inKey).where(notListedPrefix), true);
    return { prefix, rest: (n: number) => rest.limit(n) };
  }
  // The first WALK listed groups in name order: if enough of them contain the key, they are the page's next
  // rows (no other listed name containing it comes before them); if not, the scan below decides.
  const walked = db
    .selectFrom("groups")
    .select(["id", "name", sql<string>`${nk}`.as("nk")])
    .where("removed_at", "is", null)
    .orderBy(nk)
    .orderBy(d.byteOrder(sql`name`))
    .orderBy("id")
    .limit(WALK);
  const inNameListed = (n: number) =>
    db
      .selectFrom(walked.as("w"))
      .innerJoin("groups", "groups.id", "w.id")
      .selectAll("groups")
      .where(sql<SqlBool>`${d.position(sql`w.nk`, key)} > 1`)
      .orderBy("w.nk")
      .orderBy(d.byteOrder(sql`w.name`))
      .orderBy("w.id")
      .limit(n);
  const rest = ordered(base.where(inKey).where(notListedPrefix), true);
  return { prefix, inName: inNameListed, rest: (n: number) => rest.limit(n) };
}

/** Finds groups by id, name, city or country fragment (best matches first, removed groups last); empty query: the first by name. */
export async function findGroups(db: Db, query: string, limit = 25): Promise<GroupRow[]> {
  const q = query.trim();
  if (!q) {
    return db
      .selectFrom("groups")
      .selectAll()
      .where("removed_at", "is", null)
      .orderBy("name")
      .limit(limit)
      .execute();
  }
  const byId = await db.selectFrom("groups").selectAll().where("id", "=", q).executeTakeFirst();
  if (byId) return [byId];
  const key = searchText(q);
  if (!key) return [];
  const plan = groupSearchQueries(db, key, limit);
  const found = await plan.prefix.execute();
  if (found.length === limit) return found;
  if (plan.inName) {
    const inName = await plan.inName(limit - found.length).execute();
    if (found.length + inName.length === limit) return [...found, ...inName];
  }
  found.push(...(await plan.rest(limit - found.length).execute()));
  return found;
}
