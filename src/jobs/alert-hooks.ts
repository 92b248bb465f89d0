import { type StatusCounts, statusBoard, weeklyDigest } from "../alerts/format.js";
import { inScope } from "../alerts/scope.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/connect.js";
import { listActiveGroups, type SyncApplied } from "../db/groups.js";
import { guildsForDigest, guildsWithStatusBoard } from "../db/guild-settings.js";
import { enqueueAlert } from "../db/outbox.js";
import { type EventWithGroup, eventsSince, insertEvent } from "../db/scans.js";
import type { GroupRow, GuildSettingsRow } from "../db/schema.js";
import { afterSyncAlerts, onScanTransition } from "./alert-queue.js";
import type { OnTransition } from "./scan.js";

/** The hooks that make scans and syncs queue their alerts inside their own transactions. */
export function wireAlerts(clock: Clock): {
  onTransition: OnTransition;
  afterSync: (trx: Db, result: SyncApplied, firstSync: boolean) => Promise<void>;
} {
  return {
    onTransition: (trx, t) => onScanTransition(trx, t),
    afterSync: async (trx, result, firstSync) => {
      if (!firstSync) {
        const at = clock.now().toISOString();
        for (const id of result.added) await insertEvent(trx, { groupId: id, kind: "new", at, detail: {} });
      }
      await afterSyncAlerts(trx, result, firstSync);
    },
  };
}

function countsFor(groups: GroupRow[], guild: GuildSettingsRow): StatusCounts {
  const counts: StatusCounts = { alive: 0, dormant: 0, dead: 0, unknown: 0 };
  for (const g of groups) if (inScope(guild, g)) counts[g.status]++;
  return counts;
}

const listed = (e: EventWithGroup) => ({
  name: e.name,
  url: e.url,
  place: [e.city, e.country_name].filter(Boolean).join(", ") || null,
});

/** ISO week label (e.g. 2026-W48): one digest per guild per week, whatever retries happen. */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const year = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** Queues the weekly digest for guilds that turned it on. */
export async function queueDigests(db: Db, clock: Clock): Promise<number> {
  const now = clock.now();
  const guilds = await guildsForDigest(db);
  if (guilds.length === 0) return 0;
  const groups = await listActiveGroups(db);
  const events = await eventsSince(db, new Date(now.getTime() - 7 * 86_400_000).toISOString());
  let queued = 0;
  for (const g of guilds) {
    const mine = events.filter((e) => inScope(g, e));
    const message = weeklyDigest(
      countsFor(groups, g),
      {
        dead: mine.filter((e) => e.kind === "dead").map(listed),
        revived: mine.filter((e) => e.kind === "revived").map(listed),
        added: mine.filter((e) => e.kind === "new").map(listed),
      },
      { at: now.toISOString() },
    );
    if (!g.alert_channel_id) continue;
    const added = await enqueueAlert(db, {
      key: `digest:${g.guild_id}:${isoWeek(now)}`,
      guild_id: g.guild_id,
      channel_id: g.alert_channel_id,
      kind: "digest",
      group_id: null,
      payload: JSON.stringify(message),
      created_at: now.toISOString(),
    });
    if (added) queued++;
  }
  return queued;
}

/** After a scan: one edit of each guild's status board (counts and what changed in the last day). */
export async function queueStatusBoards(db: Db, clock: Clock, scanLabel: string): Promise<number> {
  const guilds = await guildsWithStatusBoard(db);
  if (guilds.length === 0) return 0;
  const now = clock.now();
  const groups = await listActiveGroups(db);
  const events = await eventsSince(db, new Date(now.getTime() - 86_400_000).toISOString());
  let queued = 0;
  for (const g of guilds) {
    if (!g.status_board_channel_id) continue;
    const changed = events
      .filter((e) => e.kind !== "new" && inScope(g, e))
      .map((e) => ({ ...listed(e), status: e.status, since: e.at }));
    const message = statusBoard(countsFor(groups, g), changed, now.toISOString());
    if (
      await enqueueAlert(db, {
        key: `board:${g.guild_id}:${scanLabel}`,
        guild_id: g.guild_id,
        channel_id: g.status_board_channel_id,
        kind: "board",
        group_id: null,
        payload: JSON.stringify(message),
        created_at: now.toISOString(),
      })
    ) {
      queued++;
    }
  }
  return queued;
}
