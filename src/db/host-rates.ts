import type { Db } from "./connect.js";
import type { IsoDate } from "./schema.js";

export interface StoredHostRate {
  host: string;
  rate: number;
  announced: number | null;
}

/** Paces learnt since `since` (older ones say little about the host today). */
export async function loadHostRates(db: Db, since: IsoDate): Promise<StoredHostRate[]> {
  return db
    .selectFrom("host_rates")
    .select(["host", "rate", "announced"])
    .where("updated_at", ">=", since)
    .execute();
}

/** Keeps each host's pace from this scan; one upsert per host, dialect-safe (SQLite and PostgreSQL). */
export async function saveHostRates(db: Db, rates: readonly StoredHostRate[], at: IsoDate): Promise<void> {
  for (let i = 0; i < rates.length; i += 200) {
    const chunk = rates.slice(i, i + 200).map((r) => ({ ...r, updated_at: at }));
    if (chunk.length === 0) continue;
    await db
      .insertInto("host_rates")
      .values(chunk)
      .onConflict((oc) =>
        oc.column("host").doUpdateSet((eb) => ({
          rate: eb.ref("excluded.rate"),
          announced: eb.ref("excluded.announced"),
          updated_at: eb.ref("excluded.updated_at"),
        })),
      )
      .execute();
  }
}
