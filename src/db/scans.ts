import { sql } from "kysely";
import { BATCH_ROWS, inBatches } from "./batches.js";
import { type Db, writeTransaction } from "./connect.js";
import type { CheckRow, GroupRow, Status } from "./schema.js";

export async function lastFinishedScan(db: Db) {
  return db
    .selectFrom("scans")
    .selectAll()
    .where("state", "=", "done")
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
}

export async function abortRunningScans(db: Db, now: string, reason: string): Promise<void> {
  await db
    .updateTable("scans")
    .set({ state: "aborted", finished_at: now, reason })
    .where("state", "=", "running")
    .execute();
}

/**
 * Resumes the newest unfinished scan if it started after `resumeAfter`, else starts a new one.
 * Returns how many groups that scan has already checked (a resumed scan skips them: see scanPage).
 */
export async function startOrResumeScan(
  db: Db,
  now: string,
  resumeAfter: string,
  total: number,
): Promise<{ scanId: number; resumed: boolean; checked: number }> {
  return writeTransaction(db, async (trx) => {
    const running = await trx
      .selectFrom("scans")
      .selectAll()
      .where("state", "=", "running")
      .orderBy("id", "desc")
      .executeTakeFirst();
    if (running && running.started_at >= resumeAfter) {
      const done = await trx
        .selectFrom("checks")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("scan_id", "=", running.id)
        .executeTakeFirstOrThrow();
      await trx.updateTable("scans").set({ total }).where("id", "=", running.id).execute();
      return { scanId: running.id, resumed: true, checked: Number(done.n) };
    }
    await trx
      .updateTable("scans")
      .set({ state: "aborted", finished_at: now, reason: "superseded by a newer scan" })
      .where("state", "=", "running")
      .execute();
    const row = await trx
      .insertInto("scans")
      .values({ started_at: now, state: "running", total, finished_at: null, reason: null })
      .returning("id")
      .executeTakeFirstOrThrow();
    return { scanId: row.id, resumed: false, checked: 0 };
  });
}

/** A listed group as a scan works through it: what its check needs before anything is written. */
export type ScanGroup = Pick<GroupRow, "id" | "name" | "url" | "status" | "ever_alive">;

/**
 * The next `limit` listed groups after the id `after`, in id order, leaving out those scan `scanId` has
 * already checked (a resumed scan). Keyset paging: each page costs the same however far the scan is, and
 * the scan holds one page at a time instead of the whole list.
 */
export async function scanPage(
  db: Db,
  page: { scanId: number | null; after: string | null; limit: number },
): Promise<ScanGroup[]> {
  let q = db
    .selectFrom("groups")
    .select(["id", "name", "url", "status", "ever_alive"])
    .where("removed_at", "is", null);
  if (page.after !== null) q = q.where("id", ">", page.after);
  if (page.scanId !== null) {
    const scanId = page.scanId;
    q = q.where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("checks")
            .select("checks.id")
            .where("checks.scan_id", "=", scanId)
            .whereRef("checks.group_id", "=", "groups.id"),
        ),
      ),
    );
  }
  return q.orderBy("id").limit(page.limit).execute();
}

export async function finishScan(
  db: Db,
  scanId: number,
  state: "done" | "aborted",
  now: string,
  reason: string | null,
): Promise<void> {
  await db.updateTable("scans").set({ state, finished_at: now, reason }).where("id", "=", scanId).execute();
}

export interface CheckWrite {
  groupId: string;
  scanId: number | null;
  checkedAt: string;
  status: Status;
  reason: string;
  httpStatus: number | null;
  finalUrl: string | null;
  redirects: unknown;
  timings: unknown;
  evidence: unknown;
}

export interface GroupStateWrite {
  status: Status;
  reason: string | null;
  status_since: string | null;
  ever_alive: number;
  consecutive_failures: number;
  failing_since: string | null;
  failing_reason: string | null;
  last_activity_at: string | null;
  next_event_at: string | null;
}

/** A listed group's status and place: what a guild's status board or digest counts. */
export type PlacedStatus = Pick<GroupRow, "id" | "status" | "continent" | "country_code" | "lat" | "lon">;

/** The listed groups' statuses and places, `limit` after the id `after` (keyset pages, in id order). */
export async function placedStatusPage(db: Db, after: string | null, limit: number): Promise<PlacedStatus[]> {
  let q = db
    .selectFrom("groups")
    .select(["id", "status", "continent", "country_code", "lat", "lon"])
    .where("removed_at", "is", null);
  if (after !== null) q = q.where("id", ">", after);
  return q.orderBy("id").limit(limit).execute();
}

/** One check to store, and how it changes its group's state (null: leave the group and skip the check). */
export interface CheckRecord {
  check: CheckWrite;
  state: (current: GroupRow) => GroupStateWrite | null;
}

export interface RecordedCheck<T extends CheckRecord> {
  item: T;
  checkId: number;
  before: GroupRow;
  after: GroupStateWrite;
}

/**
 * Stores one check and the group's new state atomically. A check for a group this scan already
 * recorded is ignored (returns null), so a resumed or doubled scan never counts a group twice.
 * `afterWrite` runs in the same transaction (events and alert outbox rows).
 */
export async function recordCheck(
  db: Db,
  check: CheckWrite,
  state: (current: GroupRow) => GroupStateWrite | null,
  afterWrite?: (trx: Db, before: GroupRow, after: GroupStateWrite, checkId: number) => Promise<void>,
): Promise<{ checkId: number; before: GroupRow; after: GroupStateWrite } | null> {
  const [written] = await recordChecks(
    db,
    [{ check, state }],
    afterWrite &&
      (async (trx, w) => {
        for (const r of w) await afterWrite(trx, r.before, r.after, r.checkId);
      }),
  );
  return written ? { checkId: written.checkId, before: written.before, after: written.after } : null;
}

/**
 * Stores a batch of checks (at most one per group) and their groups' new states in one short write
 * transaction: a few statements for the whole batch instead of five per group. As recordCheck, a check
 * for a group its scan already recorded, or for a group that is gone, is skipped. `afterWrite` runs in
 * the same transaction with what was written (a status change commits with its event and alert rows).
 * Returns what was written, in the order of `items`.
 */
export async function recordChecks<T extends CheckRecord>(
  db: Db,
  items: readonly T[],
  afterWrite?: (trx: Db, written: RecordedCheck<T>[]) => Promise<void>,
): Promise<RecordedCheck<T>[]> {
  if (items.length === 0) return [];
  if (items.length > BATCH_ROWS) throw new Error(`recordChecks: at most ${BATCH_ROWS} checks at once`);
  const ids = items.map((i) => i.check.groupId);
  if (new Set(ids).size !== ids.length) throw new Error("recordChecks: one check per group in a batch");
  return writeTransaction(db, async (trx) => {
    const current = new Map(
      (await trx.selectFrom("groups").selectAll().where("id", "in", ids).execute()).map((g) => [g.id, g]),
    );
    const already = new Set<string>();
    const scans = [...new Set(items.map((i) => i.check.scanId))].filter((id): id is number => id !== null);
    for (const scanId of scans) {
      const rows = await trx
        .selectFrom("checks")
        .select("group_id")
        .where("scan_id", "=", scanId)
        .where(
          "group_id",
          "in",
          items.filter((i) => i.check.scanId === scanId).map((i) => i.check.groupId),
        )
        .execute();
      for (const r of rows) already.add(`${scanId}:${r.group_id}`);
    }
    const todo: { item: T; before: GroupRow; after: GroupStateWrite }[] = [];
    for (const item of items) {
      const before = current.get(item.check.groupId);
      if (!before || already.has(`${item.check.scanId}:${item.check.groupId}`)) continue;
      const after = item.state(before);
      if (after) todo.push({ item, before, after });
    }
    if (todo.length === 0) return [];
    const inserted = await trx
      .insertInto("checks")
      .values(
        todo.map(({ item: { check } }) => ({
          group_id: check.groupId,
          scan_id: check.scanId,
          checked_at: check.checkedAt,
          status: check.status,
          reason: check.reason,
          http_status: check.httpStatus,
          final_url: check.finalUrl,
          redirects: JSON.stringify(check.redirects ?? []),
          timings: JSON.stringify(check.timings ?? {}),
          evidence: JSON.stringify(check.evidence ?? {}),
        })),
      )
      .returning(["id", "group_id"])
      .execute();
    // RETURNING rows come in no promised order: match them by group (one check per group here).
    const checkIds = new Map(inserted.map((r) => [r.group_id, r.id]));
    const written = todo.map((w) => ({ ...w, checkId: checkIds.get(w.item.check.groupId) as number }));
    await updateGroupStates(trx, written);
    if (afterWrite) await afterWrite(trx, written);
    return written;
  });
}

/**
 * Every group of the batch gets its own new state in one UPDATE ... FROM (VALUES ...) statement (SQLite
 * 3.33+ and PostgreSQL alike). Integers are cast because PostgreSQL reads untyped parameters in VALUES as text.
 */
async function updateGroupStates(
  trx: Db,
  rows: { item: CheckRecord; after: GroupStateWrite; checkId: number }[],
): Promise<void> {
  const int = (v: number | null) => sql`cast(${v} as integer)`;
  const values = rows.map(
    ({ item: { check }, after: a, checkId }) =>
      sql`(${check.groupId}, ${a.status}, ${a.reason}, ${a.status_since}, ${int(a.ever_alive)}, ${int(a.consecutive_failures)}, ${a.failing_since}, ${a.failing_reason}, ${a.last_activity_at}, ${a.next_event_at}, ${check.checkedAt}, ${int(checkId)})`,
  );
  await sql`with v (id, status, reason, status_since, ever_alive, consecutive_failures, failing_since, failing_reason, last_activity_at, next_event_at, last_checked_at, last_check_id) as (values ${sql.join(values)})
    update groups set status = v.status, reason = v.reason, status_since = v.status_since, ever_alive = v.ever_alive,
      consecutive_failures = v.consecutive_failures, failing_since = v.failing_since, failing_reason = v.failing_reason,
      last_activity_at = v.last_activity_at, next_event_at = v.next_event_at, last_checked_at = v.last_checked_at,
      last_check_id = v.last_check_id
    from v where groups.id = v.id`.execute(trx);
}

export async function recentChecks(db: Db, groupId: string, limit = 10): Promise<CheckRow[]> {
  return db
    .selectFrom("checks")
    .selectAll()
    .where("group_id", "=", groupId)
    .orderBy("checked_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}

export async function getCheck(db: Db, id: number): Promise<CheckRow | undefined> {
  return db.selectFrom("checks").selectAll().where("id", "=", id).executeTakeFirst();
}

export interface EventWrite {
  groupId: string;
  kind: "dead" | "revived" | "new";
  at: string;
  detail: unknown;
}

export async function insertEvent(db: Db, e: EventWrite): Promise<void> {
  await insertEvents(db, [e]);
}

/** Several events in one statement per BATCH_ROWS. */
export async function insertEvents(db: Db, events: readonly EventWrite[]): Promise<void> {
  await inBatches(events, (batch) =>
    db
      .insertInto("events")
      .values(
        batch.map((e) => ({
          group_id: e.groupId,
          kind: e.kind,
          at: e.at,
          detail: JSON.stringify(e.detail ?? {}),
        })),
      )
      .execute(),
  );
}

export async function hasAnyCheck(db: Db): Promise<boolean> {
  return (await db.selectFrom("checks").select("id").limit(1).executeTakeFirst()) !== undefined;
}

export interface EventWithGroup {
  kind: "dead" | "revived" | "new";
  at: string;
  group_id: string;
  name: string;
  url: string;
  city: string | null;
  country_name: string | null;
  continent: string | null;
  country_code: string | null;
  lat: number | null;
  lon: number | null;
  status: Status;
}

/** Status changes (and new listings) since a moment, newest first, with their group. */
export async function eventsSince(db: Db, since: string): Promise<EventWithGroup[]> {
  return db
    .selectFrom("events")
    .innerJoin("groups", "groups.id", "events.group_id")
    .select([
      "events.kind",
      "events.at",
      "events.group_id",
      "groups.name",
      "groups.url",
      "groups.city",
      "groups.country_name",
      "groups.continent",
      "groups.country_code",
      "groups.lat",
      "groups.lon",
      "groups.status",
    ])
    .where("events.at", ">=", since)
    .orderBy("events.at", "desc")
    .limit(500)
    .execute();
}
