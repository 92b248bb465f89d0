import type { Db } from "./connect.js";
import type { GuildSettingsRow, GuildSettingsTable } from "./schema.js";

/** Each server's alert settings: channel, scope, digest, status board, last delivery problem. */

export async function getGuildSettings(db: Db, guildId: string): Promise<GuildSettingsRow | undefined> {
  return db.selectFrom("guild_settings").selectAll().where("guild_id", "=", guildId).executeTakeFirst();
}

const guildsWhere = (db: Db, column: "alert_channel_id" | "status_board_channel_id") =>
  db.selectFrom("guild_settings").selectAll().where(column, "is not", null).orderBy("guild_id");

/** Guilds with an alert channel set. */
export const guildsForAlerts = (db: Db): Promise<GuildSettingsRow[]> =>
  guildsWhere(db, "alert_channel_id").execute();

/** Guilds with alerts on that also asked for the weekly digest. */
export const guildsForDigest = (db: Db): Promise<GuildSettingsRow[]> =>
  guildsWhere(db, "alert_channel_id").where("digest_enabled", "=", 1).execute();

/** Guilds with a status board channel. */
export const guildsWithStatusBoard = (db: Db): Promise<GuildSettingsRow[]> =>
  guildsWhere(db, "status_board_channel_id").execute();

export interface ScopeWrite {
  kind: GuildSettingsTable["scope_kind"];
  value: string | null;
  lat: number | null;
  lon: number | null;
  radiusKm: number | null;
}

const blankSettings = (guildId: string, now: string): GuildSettingsRow => ({
  guild_id: guildId,
  alert_channel_id: null,
  scope_kind: "all",
  scope_value: null,
  scope_lat: null,
  scope_lon: null,
  scope_radius_km: null,
  alerts_since: null,
  digest_enabled: 0,
  status_board_channel_id: null,
  status_board_message_id: null,
  last_error: null,
  last_error_at: null,
  updated_at: now,
});

async function upsertSettings(
  db: Db,
  guildId: string,
  now: string,
  change: Partial<Omit<GuildSettingsRow, "guild_id">>,
): Promise<GuildSettingsRow> {
  const values = { ...blankSettings(guildId, now), ...change, updated_at: now };
  const update = { ...change, updated_at: now };
  await db
    .insertInto("guild_settings")
    .values(values)
    .onConflict((oc) => oc.column("guild_id").doUpdateSet(update))
    .execute();
  return (await getGuildSettings(db, guildId)) as GuildSettingsRow;
}

/**
 * Turns alerts on (or moves them). `alerts_since = now`: the guild hears about changes from now on,
 * never a backlog. An earlier delivery problem is forgotten, since the channel may have changed.
 */
export async function upsertGuildAlerts(
  db: Db,
  guildId: string,
  s: { channelId: string; scope: ScopeWrite; digest?: boolean; now: string },
): Promise<GuildSettingsRow> {
  return upsertSettings(db, guildId, s.now, {
    alert_channel_id: s.channelId,
    scope_kind: s.scope.kind,
    scope_value: s.scope.value,
    scope_lat: s.scope.lat,
    scope_lon: s.scope.lon,
    scope_radius_km: s.scope.radiusKm,
    alerts_since: s.now,
    ...(s.digest === undefined ? {} : { digest_enabled: s.digest ? 1 : 0 }),
    last_error: null,
    last_error_at: null,
  });
}

/** Stops alerts; queued ones not yet sent are dropped by the dispatcher. */
export async function disableGuildAlerts(db: Db, guildId: string, now: string): Promise<void> {
  await db
    .updateTable("guild_settings")
    .set({ alert_channel_id: null, alerts_since: null, updated_at: now })
    .where("guild_id", "=", guildId)
    .execute();
}

export async function setDigest(
  db: Db,
  guildId: string,
  enabled: boolean,
  now: string,
): Promise<GuildSettingsRow> {
  return upsertSettings(db, guildId, now, { digest_enabled: enabled ? 1 : 0 });
}

/** Where the guild's status board lives (null channel: no board); the message id once it is posted. */
export async function setStatusBoard(
  db: Db,
  guildId: string,
  channelId: string | null,
  messageId: string | null,
  now: string = new Date().toISOString(),
): Promise<GuildSettingsRow> {
  return upsertSettings(db, guildId, now, {
    status_board_channel_id: channelId,
    status_board_message_id: channelId ? messageId : null,
  });
}

/** A delivery problem an admin should see in `/pug-admin alerts show`. */
export async function recordGuildError(db: Db, guildId: string, error: string, now: string): Promise<void> {
  await db
    .updateTable("guild_settings")
    .set({ last_error: error, last_error_at: now })
    .where("guild_id", "=", guildId)
    .execute();
}

export async function clearGuildError(db: Db, guildId: string): Promise<void> {
  await db
    .updateTable("guild_settings")
    .set({ last_error: null, last_error_at: null })
    .where("guild_id", "=", guildId)
    .where("last_error", "is not", null)
    .execute();
}
