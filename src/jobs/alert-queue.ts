import {
  type AlertMessage,
  deadAlert,
  type NearestAlive,
  newGroupAlert,
  revivedAlert,
} from "../alerts/format.js";
import { inScope } from "../alerts/scope.js";
import type { Db } from "../db/connect.js";
import { groupsByIds, nearestAliveGroup } from "../db/groups.js";
import { guildsForAlerts } from "../db/guild-settings.js";
import { enqueueAlert } from "../db/outbox.js";
import type { GroupRow, GuildSettingsRow } from "../db/schema.js";
import { distanceKm } from "../geo/distance.js";
import { reasonText } from "../liveness/reasons.js";

// These run inside the caller's transaction (the one that records the change), so an alert is
// queued if and only if the change is committed; the outbox key makes a replay harmless.

export type AlertTransition = "dead" | "revived";

export interface TransitionAlertInput {
  /** The group as it was before this change (as the scanner's OnTransition hands it over). */
  group: GroupRow;
  transition: AlertTransition;
  /** The check's verdict (a liveness `Verdict` fits). */
  verdict: { reason: string; evidence?: Record<string, unknown>; lastActivityAt?: string | null };
  /** When the change was recorded (ISO). */
  at: string;
  /** A scan of a fresh database: stays silent, so a new install doesn't flood its channels. */
  firstScan: boolean;
  /** For "dead": the suggested alternative. Leave undefined to look it up. */
  nearestAlive?: NearestAlive | null;
}

export const transitionKey = (transition: AlertTransition, groupId: string, at: string, guildId: string) =>
  `${transition}:${groupId}:${at}:${guildId}`;

export const newGroupKey = (groupId: string, guildId: string) => `new:${groupId}:${guildId}`;

/** Alerts on, and switched on no later than the change: a guild never gets a backlog. */
const listensAt = (g: GuildSettingsRow, at: string) =>
  g.alert_channel_id !== null && (g.alerts_since === null || g.alerts_since <= at);

async function guildsCovering(db: Db, group: GroupRow, at: string): Promise<GuildSettingsRow[]> {
  return (await guildsForAlerts(db)).filter((g) => listensAt(g, at) && inScope(g, group));
}

const str = (v: unknown): string | null => (typeof v === "string" && v ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

async function renderTransition(db: Db, t: TransitionAlertInput): Promise<AlertMessage> {
  const g = t.group;
  if (t.transition === "revived") {
    return revivedAlert({
      group: g,
      reasonText: reasonText(t.verdict.reason),
      since: t.at,
      deadSince: g.status === "dead" ? g.status_since : null,
    });
  }
  const ev = t.verdict.evidence ?? {};
  const nearestAlive =
    t.nearestAlive !== undefined
      ? t.nearestAlive
      : await nearestAliveGroup(db, { lat: g.lat, lon: g.lon, excludeId: g.id });
  return deadAlert({
    group: g,
    reasonText: reasonText(t.verdict.reason),
    evidence: {
      httpStatus: num(ev.httpStatus),
      finalUrl: str(ev.finalUrl),
      lastActivityAt: t.verdict.lastActivityAt ?? g.last_activity_at,
    },
    since: g.failing_since ?? t.at,
    nearestAlive,
  });
}

/** Queues a "dead" or "revived" alert for every guild that follows this group. Returns how many were added. */
export async function queueTransitionAlerts(trx: Db, t: TransitionAlertInput): Promise<number> {
  if (t.firstScan) return 0;
  const guilds = await guildsCovering(trx, t.group, t.at);
  if (guilds.length === 0) return 0;
  const payload = JSON.stringify(await renderTransition(trx, t));
  let added = 0;
  for (const guild of guilds) {
    const fresh = await enqueueAlert(trx, {
      key: transitionKey(t.transition, t.group.id, t.at, guild.guild_id),
      guild_id: guild.guild_id,
      channel_id: guild.alert_channel_id as string,
      kind: t.transition,
      group_id: t.group.id,
      payload,
      created_at: t.at,
    });
    if (fresh) added++;
  }
  return added;
}

export interface NewGroupAlertsInput {
  addedGroups: readonly GroupRow[];
  /** When the sync recorded them (ISO). */
  at: string;
  /** The first sync of a fresh database lists every group as new: it stays silent. */
  firstSync: boolean;
}

function newGroupMessage(guild: GuildSettingsRow, group: GroupRow, at: string): AlertMessage {
  const { scope_lat: lat, scope_lon: lon } = guild;
  const far =
    guild.scope_kind === "near" && lat !== null && lon !== null && group.lat !== null && group.lon !== null
      ? distanceKm(lat, lon, group.lat, group.lon)
      : null;
  return newGroupAlert({ group, at, nearYou: guild.scope_kind !== "all", distanceKm: far });
}

/** Queues "new group near you" for the guilds whose scope covers each newly listed group. */
export async function queueNewGroupAlerts(trx: Db, p: NewGroupAlertsInput): Promise<number> {
  if (p.firstSync || p.addedGroups.length === 0) return 0;
  const guilds = (await guildsForAlerts(trx)).filter((g) => listensAt(g, p.at));
  let added = 0;
  for (const group of p.addedGroups) {
    for (const guild of guilds) {
      if (!inScope(guild, group)) continue;
      const fresh = await enqueueAlert(trx, {
        key: newGroupKey(group.id, guild.guild_id),
        guild_id: guild.guild_id,
        channel_id: guild.alert_channel_id as string,
        kind: "new",
        group_id: group.id,
        payload: JSON.stringify(newGroupMessage(guild, group, p.at)),
        created_at: p.at,
      });
      if (fresh) added++;
    }
  }
  return added;
}

/** Ready to pass as the scanner's `onTransition`. */
export async function onScanTransition(trx: Db, t: TransitionAlertInput): Promise<void> {
  await queueTransitionAlerts(trx, t);
}

/** Ready to pass as the sync's `afterWrite`: loads the added groups and queues their alerts. */
export async function afterSyncAlerts(
  trx: Db,
  result: { added: readonly string[] },
  firstSync: boolean,
): Promise<void> {
  if (firstSync || result.added.length === 0) return;
  const groups = (await groupsByIds(trx, result.added)).sort((a, b) => a.name.localeCompare(b.name));
  const at = groups[0]?.first_seen_at;
  if (!at) return;
  await queueNewGroupAlerts(trx, { addedGroups: groups, at, firstSync });
}
