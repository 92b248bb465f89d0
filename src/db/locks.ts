import { type Db, writeTransaction } from "./connect.js";

/**
 * Takes a named lock row if it is free or expired. Works across processes sharing the database:
 * the check and the write happen in one transaction (SQLite serialises writers; on PostgreSQL the
 * primary key makes a racing insert fail, which we treat as "taken").
 */
export async function tryAcquireLock(
  db: Db,
  name: string,
  holder: string,
  now: string,
  expiresAt: string,
  /** True if the current holder is known to be gone (e.g. a killed process on this machine). */
  isStale: (holder: string) => boolean = () => false,
): Promise<boolean> {
  try {
    return await writeTransaction(db, async (trx) => {
      const row = await trx.selectFrom("job_locks").selectAll().where("name", "=", name).executeTakeFirst();
      if (row && row.expires_at > now && row.holder !== holder && !isStale(row.holder)) return false;
      if (row) {
        await trx
          .updateTable("job_locks")
          .set({ holder, acquired_at: now, expires_at: expiresAt })
          .where("name", "=", name)
          .execute();
      } else {
        await trx
          .insertInto("job_locks")
          .values({ name, holder, acquired_at: now, expires_at: expiresAt })
          .execute();
      }
      return true;
    });
  } catch (err) {
    if (/UNIQUE|duplicate key|SQLITE_BUSY|database is locked/i.test(String((err as Error).message)))
      return false;
    throw err;
  }
}

/** Extends a held lock; false if someone else holds it now. */
export async function renewLock(db: Db, name: string, holder: string, expiresAt: string): Promise<boolean> {
  const res = await db
    .updateTable("job_locks")
    .set({ expires_at: expiresAt })
    .where("name", "=", name)
    .where("holder", "=", holder)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function releaseLock(db: Db, name: string, holder: string): Promise<void> {
  await db.deleteFrom("job_locks").where("name", "=", name).where("holder", "=", holder).execute();
}

export async function getLock(db: Db, name: string) {
  return db.selectFrom("job_locks").selectAll().where("name", "=", name).executeTakeFirst();
}

export async function recordJobRun(
  db: Db,
  name: string,
  fields: { last_started_at?: string; last_finished_at?: string; last_result?: string },
): Promise<void> {
  await db
    .insertInto("job_runs")
    .values({
      name,
      last_started_at: fields.last_started_at ?? null,
      last_finished_at: fields.last_finished_at ?? null,
      last_result: fields.last_result ?? null,
    })
    .onConflict((oc) => oc.column("name").doUpdateSet(fields))
    .execute();
}

export async function getJobRun(db: Db, name: string) {
  return db.selectFrom("job_runs").selectAll().where("name", "=", name).executeTakeFirst();
}
