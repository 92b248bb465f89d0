import type { Db } from "./connect.js";
import type { CheckRow } from "./schema.js";

/** Checks by id, in chunks (SQLite caps bound parameters). */
export async function checksByIds(db: Db, ids: number[]): Promise<Map<number, CheckRow>> {
  const out = new Map<number, CheckRow>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom("checks")
      .selectAll()
      .where("id", "in", ids.slice(i, i + 500))
      .execute();
    for (const r of rows) out.set(r.id, r);
  }
  return out;
}
