import { type Db, dialectOf } from "./connect.js";
import type { OutboxRow, OutboxTable } from "./schema.js";

/** The alert outbox: rows queued inside the transaction of a status change, delivered once by the bot. */

export interface NewOutboxRow {
  key: string;
  guild_id: string;
  channel_id: string;
  kind: OutboxTable["kind"];
  group_id: string | null;
  /** The message body, as JSON. */
  payload: string;
  created_at: string;
}

/** Queues one message. Idempotent: a row with the same key is left as it is. Returns whether a row was added. */
export async function enqueueAlert(db: Db, row: NewOutboxRow): Promise<boolean> {
  const r = await db
    .insertInto("outbox")
    .values({ ...row, attempts: 0, next_attempt_at: row.created_at })
    .onConflict((oc) => oc.column("key").doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Claims up to `limit` due rows for `leaseMs` in one UPDATE ... RETURNING statement (atomic, so two
 * dispatchers, even in two processes, never claim the same row at once). A claimer that dies leaves
 * its rows claimed only until the lease runs out.
 */
export async function claimDue(db: Db, now: string, limit: number, leaseMs: number): Promise<OutboxRow[]> {
  const until = new Date(Date.parse(now) + leaseMs).toISOString();
  const rows = await db
    // A materialized CTE picks the rows once: as a plain IN (subquery) PostgreSQL may run the subquery
    // again per row and claim more than `limit`.
    .with(
      (cte) => cte("due").materialized(),
      (qb) =>
        qb
          .selectFrom("outbox")
          .select("id")
          .where("delivered_at", "is", null)
          .where("failed_at", "is", null)
          .where("next_attempt_at", "<=", now)
          .where((w) => w.or([w("claimed_until", "is", null), w("claimed_until", "<", now)]))
          .orderBy("id")
          .limit(limit)
          // PostgreSQL: skip rows another claimer has locked instead of waiting for them and then finding
          // them taken (which left a claimer empty-handed while due rows remained). SQLite has one writer
          // at a time and no row locks, so nothing to add there.
          .$if(dialectOf(db) === "postgres", (q) => q.forUpdate().skipLocked()),
    )
    .updateTable("outbox")
    .set({ claimed_until: until })
    .where("id", "in", (eb) => eb.selectFrom("due").select("id"))
    // Checked again on the row being updated (what PostgreSQL re-evaluates under concurrency).
    .where("delivered_at", "is", null)
    .where("failed_at", "is", null)
    .where((w) => w.or([w("claimed_until", "is", null), w("claimed_until", "<", now)]))
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.id - b.id);
}

export async function markDelivered(db: Db, id: number, messageId: string, now: string): Promise<void> {
  await db
    .updateTable("outbox")
    .set({ delivered_at: now, message_id: messageId, claimed_until: null, last_error: null })
    .where("id", "=", id)
    .execute();
}

/** A passing failure: try again at `nextAttemptAt`. A row another dispatcher delivered meanwhile stays delivered. */
export async function markRetry(
  db: Db,
  id: number,
  attempts: number,
  nextAttemptAt: string,
  error: string,
): Promise<void> {
  await db
    .updateTable("outbox")
    .set({ attempts, next_attempt_at: nextAttemptAt, last_error: error, claimed_until: null })
    .where("id", "=", id)
    .where("delivered_at", "is", null)
    .execute();
}

/** Gives up on a row for good. */
export async function markFailed(db: Db, id: number, error: string, now: string): Promise<void> {
  await db
    .updateTable("outbox")
    .set({ failed_at: now, last_error: error, claimed_until: null })
    .where("id", "=", id)
    .where("delivered_at", "is", null)
    .execute();
}

/** Rows still to be sent (due now or later). */
export async function pendingCount(db: Db): Promise<number> {
  const r = await db
    .selectFrom("outbox")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("delivered_at", "is", null)
    .where("failed_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function getOutboxRow(db: Db, key: string): Promise<OutboxRow | undefined> {
  return db.selectFrom("outbox").selectAll().where("key", "=", key).executeTakeFirst();
}
