import { inBatches } from "./batches.js";
import type { Db } from "./connect.js";
import type { CheckRow } from "./schema.js";

/** Checks by id, in chunks (SQLite caps bound parameters). */
export async function checksByIds(db: Db, ids: number[]): Promise<Map<number, CheckRow>> {
  const out = new Map<number, CheckRow>();
  await inBatches(ids, async (batch) => {
    for (const r of await db.selectFrom("checks").selectAll().where("id", "in", batch).execute())
      out.set(r.id, r);
  });
  return out;
}
