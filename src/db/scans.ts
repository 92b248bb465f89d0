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
 * Returns the ids of groups that scan has already checked, so a resumed scan skips them.
 */
export async function startOrResumeScan(
  db: Db,
  now: string,
  resumeAfter: string,
  total: number,
): Promise<{ scanId: number; resumed: boolean; done: Set<string> }> {
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
        .select("group_id")
        .where("scan_id", "=", running.id)
        .execute();
      await trx.updateTable("scans").set({ total }).where("id", "=", running.id).execute();
      return { scanId: running.id, resumed: true, done: new Set(done.map((d) => d.group_id)) };
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
    return { scanId: row.id, resumed: false, done: new Set<string>() };
  });
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
  return writeTransaction(db, async (trx) => {
    const current = await trx
      .selectFrom("groups")
      .selectAll()
      .where("id", "=", check.groupId)
      .executeTakeFirst();
    if (!current) return null;
    if (check.scanId !== null) {
      const dup = await trx
        .selectFrom("checks")
        .select("id")
        .where("scan_id", "=", check.scanId)
        .where("group_id", "=", check.groupId)
        .executeTakeFirst();
      if (dup) return null;
    }
    const next = state(current);
    if (!next) return null;
    const inserted = await trx
      .insertInto("checks")
      .values({
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
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await trx
      .updateTable("groups")
      .set({ ...next, last_checked_at: check.checkedAt, last_check_id: inserted.id })
      .where("id", "=", check.groupId)
      .execute();
    if (afterWrite) await afterWrite(trx as unknown as Db, current, next, inserted.id);
    return { checkId: inserted.id, before: current, after: next };
  });
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

export async function insertEvent(
  db: Db,
  e: { groupId: string; kind: "dead" | "revived" | "new"; at: string; detail: unknown },
): Promise<void> {
  await db
    .insertInto("events")
    .values({ group_id: e.groupId, kind: e.kind, at: e.at, detail: JSON.stringify(e.detail ?? {}) })
    .execute();
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
