import type { Db } from "./connect.js";

/**
 * Takes a named lock row if it is free or expired. Works across processes sharing the database, on
 * SQLite and PostgreSQL alike: after reading the row, the take is one compare-and-swap statement (an
 * upsert that only updates the row still holding what was read), so of two racing takers exactly one
 * wins — also under PostgreSQL's READ COMMITTED, where a read-then-update transaction would let both.
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
    const row = await db.selectFrom("job_locks").selectAll().where("name", "=", name).executeTakeFirst();
    if (row && row.expires_at > now && row.holder !== holder && !isStale(row.holder)) return false;
    const res = await db
      .insertInto("job_locks")
      .values({ name, holder, acquired_at: now, expires_at: expiresAt })
      .onConflict((oc) =>
        oc
          .column("name")
          .doUpdateSet({ holder, acquired_at: now, expires_at: expiresAt })
          // No row when we looked: someone inserted meanwhile, so it's theirs.
          .where((eb) =>
            row
              ? eb.and([
                  eb("job_locks.holder", "=", row.holder),
                  eb("job_locks.expires_at", "=", row.expires_at),
                ])
              : eb.lit(false),
          ),
      )
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  } catch (err) {
    if (/SQLITE_BUSY|database is locked/i.test(String((err as Error).message))) return false;
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
