import type { Kysely } from "kysely";
import { groupSearchKey } from "../search-key.js";

// A folded search key per group (accent- and case-insensitive search that runs the same on
// SQLite and PostgreSQL), and an index that lets status counts read only the index.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("groups")
    .addColumn("search_key", "text", (c) => c.notNull().defaultTo(""))
    .execute();
  await db.schema
    .createIndex("groups_status_removed")
    .on("groups")
    .columns(["status", "removed_at"])
    .execute();
  const k = db as Kysely<{
    groups: {
      id: string;
      name: string;
      city: string | null;
      country_name: string | null;
      search_key: string;
    };
  }>;
  const rows = await k.selectFrom("groups").select(["id", "name", "city", "country_name"]).execute();
  for (const r of rows) {
    await k
      .updateTable("groups")
      .set({ search_key: groupSearchKey(r) })
      .where("id", "=", r.id)
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("groups_status_removed").execute();
  await db.schema.alterTable("groups").dropColumn("search_key").execute();
}
