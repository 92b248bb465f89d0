import { distanceKm } from "../geo/distance.js";
import type { Db } from "./connect.js";
import type { GroupRow, GuildSettingsRow, GuildSettingsTable, OutboxRow, OutboxTable } from "./schema.js";

// ---------- guild settings ----------

export async function getGuildSettings(db: Db, guildId: string): Promise<GuildSettingsRow | undefined> {
  return db.selectFrom("guild_settings").selectAll().where("guild_id", "=", guildId).executeTakeFirst();
}

/** Guilds with an alert channel set. */
export async function guildsForAlerts(db: Db): Promise<GuildSettingsRow[]> {
  return db
    .selectFrom("guild_settings")
    .selectAll()
    .where("alert_channel_id", "is not", null)
    .orderBy("guild_id")
    .execute();
}

/** Guilds with alerts on that also asked for the weekly digest. */
export async function guildsForDigest(db: Db): Promise<GuildSettingsRow[]> {
  return db
    .selectFrom("guild_settings")
    .selectAll()
    .where("alert_channel_id", "is not", null)
    .where("digest_enabled", "=", 1)
    .orderBy("guild_id")
    .execute();
}

/** Guilds with a status board channel. */
export async function guildsWithStatusBoard(db: Db): Promise<GuildSettingsRow[]> {
  return db
    .selectFrom("guild_settings")
    .selectAll()
    .where("status_board_channel_id", "is not", null)
    .orderBy("guild_id")
    .execute();
}

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

// ---------- outbox ----------

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
    .updateTable("outbox")
    .set({ claimed_until: until })
    .where((eb) =>
      eb(
        "id",
        "in",
        eb
          .selectFrom("outbox")
          .select("id")
          .where("delivered_at", "is", null)
          .where("failed_at", "is", null)
          .where("next_attempt_at", "<=", now)
          .where((w) => w.or([w("claimed_until", "is", null), w("claimed_until", "<", now)]))
          .orderBy("id")
          .limit(limit),
      ),
    )
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

// ---------- for the alerts ----------

export async function groupsByIds(db: Db, ids: readonly string[]): Promise<GroupRow[]> {
  const out: GroupRow[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    out.push(
      ...(await db
        .selectFrom("groups")
        .selectAll()
        .where("id", "in", ids.slice(i, i + 500))
        .execute()),
    );
  }
  return out;
}

export interface NearestAliveGroup {
  id: string;
  name: string;
  url: string;
  city: string | null;
  distanceKm: number;
}

/** The nearest listed group that is alive, other than `excludeId`; null when the place is unknown or none is. */
export async function nearestAliveGroup(
  db: Db,
  from: { lat: number | null; lon: number | null; excludeId?: string },
): Promise<NearestAliveGroup | null> {
  const { lat, lon } = from;
  if (lat === null || lon === null) return null;
  const rows = await db
    .selectFrom("groups")
    .select(["id", "name", "url", "city", "lat", "lon"])
    .where("removed_at", "is", null)
    .where("status", "=", "alive")
    .where("lat", "is not", null)
    .where("lon", "is not", null)
    .where("id", "!=", from.excludeId ?? "")
    .execute();
  let best: NearestAliveGroup | null = null;
  for (const r of rows) {
    const d = distanceKm(lat, lon, r.lat as number, r.lon as number);
    if (!best || d < best.distanceKm || (d === best.distanceKm && r.name < best.name)) {
      best = { id: r.id, name: r.name, url: r.url, city: r.city, distanceKm: d };
    }
  }
  return best;
}
