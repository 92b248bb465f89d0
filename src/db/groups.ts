import { type Db, writeTransaction } from "./connect.js";
import type { GroupRow, NewGroup, Status } from "./schema.js";
import { groupSearchKey, searchText } from "./search-key.js";
import { nearestGroup } from "./spatial.js";

export async function getSource(db: Db, id: string) {
  return db.selectFrom("sources").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function listActiveGroups(db: Db, opts: { status?: Status } = {}): Promise<GroupRow[]> {
  let q = db.selectFrom("groups").selectAll().where("removed_at", "is", null);
  if (opts.status) q = q.where("status", "=", opts.status);
  return q.orderBy("continent").orderBy("country_name").orderBy("city").orderBy("name").execute();
}

export async function listGroupsOfSource(db: Db, sourceId: string): Promise<GroupRow[]> {
  return db.selectFrom("groups").selectAll().where("source_id", "=", sourceId).execute();
}

export async function getGroupById(db: Db, id: string): Promise<GroupRow | undefined> {
  return db.selectFrom("groups").selectAll().where("id", "=", id).executeTakeFirst();
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
  const byId = await getGroupById(db, q);
  if (byId) return [byId];
  const key = searchText(q);
  if (!key) return [];
  const rows = await db
    .selectFrom("groups")
    .selectAll()
    .where("search_key", "like", `%${key}%`)
    .orderBy("removed_at")
    .orderBy("name")
    .limit(200)
    .execute();
  const rank = (g: GroupRow) => {
    const n = searchText(g.name);
    if (n === key) return 0;
    if (n.startsWith(key)) return 1;
    if (n.includes(key)) return 2;
    return 3;
  };
  return rows
    .map((g) => ({ g, r: rank(g) + (g.removed_at ? 10 : 0) }))
    .sort((a, b) => a.r - b.r || a.g.name.localeCompare(b.g.name))
    .slice(0, limit)
    .map((x) => x.g);
}

/** Rows per INSERT: ~30 columns each stays under SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
const INSERT_ROWS = 500;

export interface SyncWrite {
  sourceId: string;
  sourceUrl: string;
  etag: string | null;
  lastModified: string | null;
  now: string;
  upserts: Omit<NewGroup, "first_seen_at" | "last_seen_at" | "source_id">[];
}

/** Applies one sync in a single transaction: upserts, marks the missing as removed, records the source. */
export interface SyncApplied {
  added: string[];
  updated: number;
  removed: string[];
  restored: string[];
}

export async function applySync(
  db: Db,
  w: SyncWrite,
  /** Runs inside the same transaction (e.g. to queue "new group" alerts atomically). */
  afterWrite?: (trx: Db, result: SyncApplied, firstSync: boolean) => Promise<void>,
): Promise<SyncApplied> {
  return writeTransaction(db, async (trx) => {
    await trx
      .insertInto("sources")
      .values({
        id: w.sourceId,
        url: w.sourceUrl,
        etag: w.etag,
        last_modified: w.lastModified,
        last_synced_at: w.now,
        last_group_count: w.upserts.length,
      })
      .onConflict((oc) =>
        oc.column("id").doUpdateSet({
          url: w.sourceUrl,
          etag: w.etag,
          last_modified: w.lastModified,
          last_synced_at: w.now,
          last_group_count: w.upserts.length,
        }),
      )
      .execute();

    const firstSync = !(await trx.selectFrom("groups").select("id").limit(1).executeTakeFirst());
    const existing = (await trx
      .selectFrom("groups")
      .selectAll()
      .where("source_id", "=", w.sourceId)
      .execute()) as GroupRow[];
    const byUrl = new Map(existing.map((g) => [g.normalized_url, g]));
    const seen = new Set<string>();
    const added: string[] = [];
    const restored: string[] = [];
    let updated = 0;
    const fresh: NewGroup[] = [];
    const unchanged: string[] = [];

    for (const g of w.upserts) {
      seen.add(g.normalized_url);
      const prev = byUrl.get(g.normalized_url);
      if (!prev) {
        fresh.push({
          ...g,
          search_key: groupSearchKey(g),
          source_id: w.sourceId,
          first_seen_at: w.now,
          last_seen_at: w.now,
        });
        added.push(g.id);
        continue;
      }
      const { id: _id, ...fields } = g;
      const searchKey = groupSearchKey(g);
      const same =
        !prev.removed_at &&
        prev.search_key === searchKey &&
        Object.entries(fields).every(([k, v]) => prev[k as keyof GroupRow] === v);
      if (same) {
        unchanged.push(prev.id);
      } else {
        await trx
          .updateTable("groups")
          .set({ ...fields, search_key: searchKey, last_seen_at: w.now, removed_at: null })
          .where("id", "=", prev.id)
          .execute();
      }
      if (prev.removed_at) restored.push(prev.id);
      updated++;
    }
    // Most of a re-sync is groups that didn't change: one UPDATE per batch of them, not one per group.
    for (let i = 0; i < unchanged.length; i += INSERT_ROWS) {
      await trx
        .updateTable("groups")
        .set({ last_seen_at: w.now })
        .where("id", "in", unchanged.slice(i, i + INSERT_ROWS))
        .execute();
    }

    // New groups in multi-row INSERTs: a first sync of 100,000 groups was 100,000 statements.
    for (let i = 0; i < fresh.length; i += INSERT_ROWS) {
      await trx
        .insertInto("groups")
        .values(fresh.slice(i, i + INSERT_ROWS))
        .execute();
    }

    const removed = existing.filter((g) => !seen.has(g.normalized_url) && !g.removed_at).map((g) => g.id);
    for (let i = 0; i < removed.length; i += 500) {
      await trx
        .updateTable("groups")
        .set({ removed_at: w.now })
        .where("id", "in", removed.slice(i, i + 500))
        .execute();
    }
    const result = { added, updated, removed, restored };
    if (afterWrite) await afterWrite(trx as unknown as Db, result, firstSync);
    return result;
  });
}

export async function touchSource(db: Db, id: string, now: string): Promise<void> {
  await db.updateTable("sources").set({ last_synced_at: now }).where("id", "=", id).execute();
}

export interface StatusCount {
  status: Status;
  count: number;
}

export async function countByStatus(
  db: Db,
  filter: { continent?: string; countryCode?: string } = {},
): Promise<StatusCount[]> {
  let q = db
    .selectFrom("groups")
    .select(["status", (eb) => eb.fn.countAll<number>().as("count")])
    .where("removed_at", "is", null);
  if (filter.continent)
    q = q.where((eb) => eb(eb.fn("lower", ["continent"]), "=", filter.continent!.toLowerCase()));
  if (filter.countryCode) q = q.where("country_code", "=", filter.countryCode.toUpperCase());
  const rows = await q.groupBy("status").execute();
  return rows.map((r) => ({ status: r.status, count: Number(r.count) }));
}

export async function hasAnyGroup(db: Db): Promise<boolean> {
  return (await db.selectFrom("groups").select("id").limit(1).executeTakeFirst()) !== undefined;
}

export async function groupsByIds(db: Db, ids: readonly string[]): Promise<GroupRow[]> {
  const out: GroupRow[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    out.push(
      ...(await db
        .selectFrom("groups")
        .selectAll()
        .where("id", "in", ids.slice(i, i + 500))
        .execute()),
    );
  }
  return out;
}

export interface NearestAliveGroup {
  id: string;
  name: string;
  url: string;
  city: string | null;
  distanceKm: number;
}

/** The nearest listed group that is alive, other than `excludeId`; null when the place is unknown or none is. */
export async function nearestAliveGroup(
  db: Db,
  from: { lat: number | null; lon: number | null; excludeId?: string },
): Promise<NearestAliveGroup | null> {
  const { lat, lon } = from;
  if (lat === null || lon === null) return null;
  const n = await nearestGroup(db, { lat, lon }, { aliveOnly: true, excludeId: from.excludeId });
  return n
    ? { id: n.group.id, name: n.group.name, url: n.group.url, city: n.group.city, distanceKm: n.distanceKm }
    : null;
}
