import { inBatches } from "./batches.js";
import { type Db, writeTransaction } from "./connect.js";
import type { GroupChannelRow, GroupRow, ListingSnapshotsTable, NewGroupChannel, Status } from "./schema.js";
import { groupSearchKey, searchText } from "./search-key.js";
import { nearestGroup } from "./spatial.js";

export { findGroups } from "./group-search.js";

import {
  deleteChannelsOf,
  insertChannels,
  insertGroups,
  LISTING_COLUMNS,
  type ListingColumn,
  listedIdsExcept,
  listingFieldsOf,
  markGroupsRemoved,
  moveGroupAddressesAside,
  type NewGroupColumn,
  storedAtAddresses,
  textFromUtf8,
  touchGroups,
  updateListedGroups,
} from "./sync-bulk.js";

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

export interface SyncChannel {
  kind: string;
  url: string;
  normalized_url: string;
  label: string;
}

/** What a sync knows about a listed group: the listing's fields, never the scanner's. */
export type SyncUpsert = Pick<
  GroupRow,
  | "id"
  | "name"
  | "url"
  | "normalized_url"
  | "description"
  | "continent"
  | "country_code"
  | "country_name"
  | "region"
  | "city"
  | "lat"
  | "lon"
  | "geo_confidence"
  | "geo_level"
> & {
  place_label?: string | null;
  source_lines?: string | null;
  /** The group's other links; replaced on every sync. */
  channels?: readonly SyncChannel[];
};

/** A new group's row: its listing fields as given (missing ones null), found by search, seen now. */
function newGroupRow(u: SyncUpsert, sourceId: string, now: string): Record<NewGroupColumn, unknown> {
  return {
    id: u.id,
    name: u.name,
    url: u.url,
    normalized_url: u.normalized_url,
    description: u.description,
    continent: u.continent,
    country_code: u.country_code,
    country_name: u.country_name,
    region: u.region,
    city: u.city,
    lat: u.lat,
    lon: u.lon,
    geo_confidence: u.geo_confidence,
    geo_level: u.geo_level,
    place_label: u.place_label ?? null,
    source_lines: u.source_lines ?? null,
    search_key: groupSearchKey(u),
    source_id: sourceId,
    first_seen_at: now,
    last_seen_at: now,
  };
}

export interface SyncWrite {
  sourceId: string;
  sourceUrl: string;
  etag: string | null;
  lastModified: string | null;
  now: string;
  upserts: SyncUpsert[];
  /**
   * The listing as read, kept as the source's latest snapshot (format and raw text). The text may come as its
   * UTF-8 bytes: a big page's JS string is twice its size in the heap while every group is placed and written.
   */
  snapshot?: { format: ListingSnapshotsTable["format"]; body: string | Buffer; skipped: unknown[] };
}

/** Applies one sync in a single transaction: upserts, marks the missing as removed, records the source. */
export interface SyncApplied {
  added: string[];
  updated: number;
  removed: string[];
  restored: string[];
  /** Groups found again under another address or name (a format change, a moved site): ids kept. */
  rematched: number;
  /** The format of the previous successful sync, when it differs from this one. */
  previousFormat: string | null;
  /** Why this sync was applied without announcements and flagged for a human, or null. */
  flagged: string | null;
}

/** More new groups than this share of the listed ones at once is a flood: applied, not announced… */
const FLOOD_SHARE = 1 / 3;
/** …when they are more than a handful (two new groups on a list of three are news). */
const FLOOD_MIN = 10;

const nameKey = (name: string) => searchText(name);

/** Which stored group each listed group is, and what applySync must know of those stored rows. */
interface Matches {
  ids: Map<SyncUpsert, string>;
  /** Matched ids whose stored row was marked removed. */
  removed: Set<string>;
  /** Stored addresses of matched groups found under another address (id → address). */
  movedFrom: Map<string, string>;
}

/** Rows per look-up of listed addresses among the stored ones. */
const MATCH_ROWS = 2_000;

/**
 * Which existing group each listed group is. Exact address first; then, for the rest, the same address among
 * either side's channels, then the same name: a page that changed format (MoinMoin → Markdown) or a group whose
 * primary link moved from its website to its Meetup keeps its id, verdict and history. Exact addresses are asked
 * of the unique (source, address) index a batch at a time; every stored row (and the names) is read only while
 * a listed group is still unmatched, so a re-sync of the same page never holds them all.
 */
async function matchExisting(
  trx: Db,
  sourceId: string,
  upserts: readonly SyncUpsert[],
  existingChannels: readonly { group_id: string; normalized_url: string }[],
): Promise<Matches> {
  const m: Matches = { ids: new Map(), removed: new Set(), movedFrom: new Map() };
  const anyStored = await trx
    .selectFrom("groups")
    .select("id")
    .where("source_id", "=", sourceId)
    .limit(1)
    .execute();
  if (anyStored.length === 0) return m;
  const claimed = new Set<string>();
  const claim = (
    u: SyncUpsert,
    stored: { id: string; normalized_url: string; removed_at: string | null },
  ) => {
    if (claimed.has(stored.id) || m.ids.has(u)) return;
    // Most groups keep the id they would get anew: keep one copy of it.
    const id = stored.id === u.id ? u.id : stored.id;
    m.ids.set(u, id);
    claimed.add(id);
    if (stored.removed_at) m.removed.add(id);
    if (stored.normalized_url !== u.normalized_url) m.movedFrom.set(id, stored.normalized_url);
  };
  for (let i = 0; i < upserts.length; i += MATCH_ROWS) {
    const batch = upserts.slice(i, i + MATCH_ROWS);
    const found = await storedAtAddresses(
      trx,
      sourceId,
      batch.map((u) => u.normalized_url),
    );
    const byUrl = new Map(found.map((g) => [g.normalized_url, g]));
    for (const u of batch) {
      const stored = byUrl.get(u.normalized_url);
      if (stored) claim(u, stored);
    }
  }
  if (m.ids.size === upserts.length) return m;

  const existing = await trx
    .selectFrom("groups")
    .select(["id", "normalized_url", "removed_at"])
    .where("source_id", "=", sourceId)
    .execute();
  const byId = new Map(existing.map((g) => [g.id, g]));
  const byUrl = new Map(existing.map((g) => [g.normalized_url, g.id]));
  const claimId = (u: SyncUpsert, id: string | undefined) => {
    const stored = id === undefined ? undefined : byId.get(id);
    if (stored) claim(u, stored);
  };
  const byChannel = new Map<string, string>();
  for (const c of existingChannels)
    if (!byChannel.has(c.normalized_url)) byChannel.set(c.normalized_url, c.group_id);
  for (const u of upserts) {
    if (m.ids.has(u)) continue;
    const urls = [u.normalized_url, ...(u.channels ?? []).map((c) => c.normalized_url)];
    const candidate =
      urls.map((x) => byUrl.get(x)).find((id) => id && !claimed.has(id)) ??
      urls.map((x) => byChannel.get(x)).find((id) => id && !claimed.has(id));
    claimId(u, candidate);
  }
  if (m.ids.size === upserts.length) return m;

  const byName = new Map<string, string[]>();
  const names = await trx
    .selectFrom("groups")
    .select(["id", "name"])
    .where("source_id", "=", sourceId)
    .execute();
  for (const g of names) {
    const key = nameKey(g.name);
    const ids = byName.get(key);
    if (ids) ids.push(g.id);
    else byName.set(key, [g.id]);
  }
  for (const u of upserts) {
    if (m.ids.has(u)) continue;
    const same = (byName.get(nameKey(u.name)) ?? []).filter((id) => !claimed.has(id));
    if (same.length === 1) claimId(u, same[0]);
  }
  return m;
}

/** Listed groups compared with their stored rows this many at a time (each batch read, compared and written). */
const COMPARE_ROWS = 2_000;

/**
 * Listed groups matched to stored ones, batch by batch: those whose listing fields (and search key) are as stored
 * and that were not removed are only marked seen; the others are rewritten with the fields they list, seen now
 * and restored. Fields a caller leaves out (undefined) keep their stored value, as a kysely `set` would.
 */
async function writeMatched(
  trx: Db,
  listed: readonly SyncUpsert[],
  matches: ReadonlyMap<SyncUpsert, string>,
  now: string,
): Promise<Set<string>> {
  /** The ids whose listing fields changed (or that come back from removal). */
  const rewritten = new Set<string>();
  for (let i = 0; i < listed.length; i += COMPARE_ROWS) {
    const batch = listed.slice(i, i + COMPARE_ROWS).map((u) => [u, matches.get(u) as string] as const);
    const rows = await listingFieldsOf(
      trx,
      batch.map(([, id]) => id),
    );
    const stored = new Map(rows.map((r) => [r.id, r]));
    const unchanged: string[] = [];
    // Rewritten rows grouped by the columns they set (a caller may leave optional ones out).
    const changed = new Map<
      string,
      { columns: (ListingColumn | "search_key")[]; rows: Record<string, unknown>[] }
    >();
    for (const [u, id] of batch) {
      const prev = stored.get(id);
      const searchKey = groupSearchKey(u);
      const listed = u as Partial<Record<ListingColumn, unknown>>;
      const same =
        prev !== undefined &&
        !prev.removed_at &&
        prev.search_key === searchKey &&
        LISTING_COLUMNS.every((c) => !(c in u) || prev[c] === listed[c]);
      if (same) {
        unchanged.push(id);
        continue;
      }
      const columns: (ListingColumn | "search_key")[] = LISTING_COLUMNS.filter(
        (c) => listed[c] !== undefined,
      );
      columns.push("search_key");
      const key = columns.join(",");
      let group = changed.get(key);
      if (!group) {
        group = { columns, rows: [] };
        changed.set(key, group);
      }
      group.rows.push({ ...listed, id, search_key: searchKey });
      rewritten.add(id);
    }
    for (const { columns, rows } of changed.values()) await updateListedGroups(trx, columns, rows, now);
    await touchGroups(trx, unchanged, now);
  }
  return rewritten;
}

export async function applySync(
  db: Db,
  w: SyncWrite,
  /** Runs inside the same transaction (e.g. to queue "new group" alerts atomically). */
  afterWrite?: (trx: Db, result: SyncApplied, firstSync: boolean) => Promise<void>,
): Promise<SyncApplied> {
  return writeTransaction(db, async (trx) => {
    const prevSource = await trx
      .selectFrom("sources")
      .select(["format"])
      .where("id", "=", w.sourceId)
      .executeTakeFirst();
    const format = w.snapshot?.format ?? null;
    const source = {
      url: w.sourceUrl,
      etag: w.etag,
      last_modified: w.lastModified,
      last_synced_at: w.now,
      last_group_count: w.upserts.length,
      format,
    };
    await trx
      .insertInto("sources")
      .values({ id: w.sourceId, ...source })
      .onConflict((oc) => oc.column("id").doUpdateSet(source))
      .execute();
    // The page's text first: the engine copies a big page a few times while storing it, better before the
    // groups' rows pile up than on top of them.
    if (w.snapshot) {
      await trx.deleteFrom("listing_snapshots").where("source_id", "=", w.sourceId).execute();
      await trx
        .insertInto("listing_snapshots")
        .values({
          source_id: w.sourceId,
          url: w.sourceUrl,
          format: w.snapshot.format,
          body: typeof w.snapshot.body === "string" ? w.snapshot.body : textFromUtf8(trx, w.snapshot.body),
          group_count: w.upserts.length,
          skipped: JSON.stringify(w.snapshot.skipped),
          synced_at: w.now,
        })
        .execute();
    }

    const firstSync = !(await trx.selectFrom("groups").select("id").limit(1).executeTakeFirst());
    const listedBefore = Number(
      (
        await trx
          .selectFrom("groups")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("source_id", "=", w.sourceId)
          .where("removed_at", "is", null)
          .executeTakeFirstOrThrow()
      ).n,
    );
    const existingChannels = await trx
      .selectFrom("group_channels")
      .innerJoin("groups", "groups.id", "group_channels.group_id")
      .select([
        "group_channels.group_id",
        "group_channels.normalized_url",
        "group_channels.kind",
        "group_channels.label",
        "group_channels.url",
      ])
      .where("groups.source_id", "=", w.sourceId)
      .orderBy("group_channels.group_id")
      .orderBy("group_channels.position")
      .execute();
    const channelsOf = new Map<string, string>();
    for (const c of existingChannels)
      channelsOf.set(c.group_id, `${channelsOf.get(c.group_id) ?? ""}|${c.kind} ${c.url} ${c.label}`);
    const matches = await matchExisting(trx, w.sourceId, w.upserts, existingChannels);
    const added: string[] = [];
    const restored: string[] = [];
    let rematched = 0;
    const fresh: SyncUpsert[] = [];
    const matched: SyncUpsert[] = [];
    const newChannels: NewGroupChannel[] = [];
    const replacedChannels: string[] = [];

    // Matched rows whose address changes: move them out of the way first, so the unique (source, url)
    // index never sees two rows with one address mid-way.
    await moveGroupAddressesAside(trx, [...matches.movedFrom.keys()]);

    for (const g of w.upserts) {
      const channels = g.channels;
      const prevId = matches.ids.get(g);
      const id = prevId ?? g.id;
      const channelKey = (channels ?? []).map((c) => `|${c.kind} ${c.url} ${c.label}`).join("");
      if ((channelsOf.get(id) ?? "") !== channelKey) {
        if (prevId) replacedChannels.push(id);
        for (const [position, c] of (channels ?? []).entries())
          newChannels.push({
            group_id: id,
            position,
            kind: c.kind,
            url: c.url,
            normalized_url: c.normalized_url,
            label: c.label,
          });
      }
      if (!prevId) {
        fresh.push(g);
        added.push(g.id);
        continue;
      }
      matched.push(g);
      if (matches.removed.has(prevId)) restored.push(prevId);
      if (matches.movedFrom.has(prevId)) rematched++;
    }
    // Listed before and not matched now: no longer listed (read before the new groups are in). Counted first;
    // the ids are read only when some are.
    const keptListed = matches.ids.size - matches.removed.size;
    const removed =
      keptListed < listedBefore ? await listedIdsExcept(trx, w.sourceId, [...matches.ids.values()]) : [];
    // Most of a re-sync is groups that didn't change: those are only marked seen, a batch at a time.
    const rewritten = await writeMatched(trx, matched, matches.ids, w.now);
    // Updated: listed before and now with other listing fields or other channels (not merely seen again;
    // a group listed again is counted as that).
    for (const id of replacedChannels) rewritten.add(id);
    for (const id of restored) rewritten.delete(id);
    const updated = rewritten.size;

    // New groups in key order, so the primary key's and the spatial index's b-trees grow at one end (a third
    // less time at 100,000).
    fresh.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    await insertGroups(trx, fresh, (u) => newGroupRow(u, w.sourceId, w.now));
    // Channels change rarely: only groups whose list changed are rewritten, in batches.
    await deleteChannelsOf(trx, replacedChannels);
    await insertChannels(trx, newChannels);

    await markGroupsRemoved(trx, removed, w.now);
    const previousFormat =
      prevSource?.format && format && prevSource.format !== format ? prevSource.format : null;
    // A sudden flood of groups that match nothing we knew (by identity, so not a format change) is
    // more likely a reader or page problem than news: applied, but quietly, and flagged for a human.
    const flagged =
      !firstSync && listedBefore > 0 && added.length > Math.max(FLOOD_MIN, listedBefore * FLOOD_SHARE)
        ? `${added.length} new groups at once (there were ${listedBefore}); no announcements were sent`
        : null;
    await trx
      .insertInto("sync_history")
      .values({
        source_id: w.sourceId,
        synced_at: w.now,
        group_count: w.upserts.length,
        added: added.length,
        flagged,
      })
      .onConflict((oc) => oc.columns(["source_id", "synced_at"]).doNothing())
      .execute();
    const result = { added, updated, removed, restored, rematched, previousFormat, flagged };
    // A listing that changed format is compared by identity above; whatever still looks new is the
    // reader's doing, not news: no "new group" announcements for that one sync.
    if (afterWrite)
      await afterWrite(
        trx as unknown as Db,
        result,
        firstSync || previousFormat !== null || flagged !== null,
      );
    return result;
  });
}

/** A group's channels, in page order. */
export async function listChannels(db: Db, groupId: string): Promise<GroupChannelRow[]> {
  return db
    .selectFrom("group_channels")
    .selectAll()
    .where("group_id", "=", groupId)
    .orderBy("position")
    .execute();
}

/** The last listing a sync read from a source: its format and raw text (for the wiki clean-up report). */
export async function latestListingSnapshot(db: Db, sourceId: string) {
  return db
    .selectFrom("listing_snapshots")
    .selectAll()
    .where("source_id", "=", sourceId)
    .orderBy("synced_at", "desc")
    .executeTakeFirst();
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

/**
 * The groups with any channel among the ids from `first` to `last` (inclusive, in the database's id order,
 * as a keyset page of groups is read): one range read of the channels' group index, however many there are.
 */
export async function groupsWithChannelsBetween(db: Db, first: string, last: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom("group_channels")
    .select("group_id")
    .distinct()
    .where("group_id", ">=", first)
    .where("group_id", "<=", last)
    .execute();
  return new Set(rows.map((r) => r.group_id));
}

export async function groupsByIds(db: Db, ids: readonly string[]): Promise<GroupRow[]> {
  const batches = await inBatches(ids, (batch) =>
    db.selectFrom("groups").selectAll().where("id", "in", batch).execute(),
  );
  return batches.flat();
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

/** Group counts of the last few applied syncs, newest first (the guard compares with the largest). */
export async function recentSyncCounts(db: Db, sourceId: string, n = 5): Promise<number[]> {
  const rows = await db
    .selectFrom("sync_history")
    .select("group_count")
    .where("source_id", "=", sourceId)
    .orderBy("synced_at", "desc")
    .limit(n)
    .execute();
  return rows.map((r) => r.group_count);
}

/** The newest sync that was flagged for a human, if it is the latest one. */
export async function lastSyncFlag(db: Db): Promise<{ at: string; why: string } | null> {
  const last = await db
    .selectFrom("sync_history")
    .select(["synced_at", "flagged"])
    .orderBy("synced_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return last?.flagged ? { at: last.synced_at, why: last.flagged } : null;
}
