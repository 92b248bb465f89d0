import type { Db } from "../../src/db/connect.js";
import { type ScopeWrite, upsertGuildAlerts } from "../../src/db/guild-settings.js";
import type { GroupRow } from "../../src/db/schema.js";
import { groupSearchKey } from "../../src/db/search-key.js";
import { makeGroup } from "./groups.js";

/** Inserts groups (and the wiki source they belong to) straight into the database. */
export async function insertGroups(db: Db, groups: Partial<GroupRow>[]): Promise<GroupRow[]> {
  await db
    .insertInto("sources")
    .values({ id: "wiki", url: "https://wiki.python.org/moin/LocalUserGroups", last_group_count: 0 })
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
  const rows = groups.map((g, i) => {
    const { id: _i, ...rest } = makeGroup({ id: `g${i}`, normalized_url: `//g${i}.example`, ...g });
    return { id: g.id ?? `g${i}`, ...rest, last_check_id: null };
  });
  for (const r of rows)
    await db
      .insertInto("groups")
      .values({ ...r, search_key: groupSearchKey(r) })
      .execute();
  return db.selectFrom("groups").selectAll().orderBy("id").execute();
}

export const ALL: ScopeWrite = { kind: "all", value: null, lat: null, lon: null, radiusKm: null };
export const scopeCountry = (code: string): ScopeWrite => ({
  kind: "country",
  value: code,
  lat: null,
  lon: null,
  radiusKm: null,
});
export const scopeContinent = (name: string): ScopeWrite => ({
  kind: "continent",
  value: name,
  lat: null,
  lon: null,
  radiusKm: null,
});
export const scopeNear = (label: string, lat: number, lon: number, radiusKm: number): ScopeWrite => ({
  kind: "near",
  value: label,
  lat,
  lon,
  radiusKm,
});

export async function guildWithAlerts(
  db: Db,
  guildId: string,
  channelId: string,
  scope: ScopeWrite = ALL,
  now = "2026-01-01T00:00:00.000Z",
) {
  return upsertGuildAlerts(db, guildId, { channelId, scope, now });
}
