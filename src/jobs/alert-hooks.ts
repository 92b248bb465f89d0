import { type StatusCounts, statusBoard, weeklyDigest } from "../alerts/format.js";
import { inScope } from "../alerts/scope.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/connect.js";
import type { SyncApplied } from "../db/groups.js";
import { guildsForDigest, guildsWithStatusBoard } from "../db/guild-settings.js";
import { enqueueAlert } from "../db/outbox.js";
import { type EventWithGroup, eventsSince, insertEvent, placedStatusPage } from "../db/scans.js";
import type { GuildSettingsRow } from "../db/schema.js";
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

const COUNT_PAGE_ROWS = 5_000;

/** Each guild's counts by status over the groups its scope covers, reading the list a page at a time. */
async function countsByGuild(
  db: Db,
  guilds: readonly GuildSettingsRow[],
): Promise<Map<string, StatusCounts>> {
  const counts = new Map<string, StatusCounts>(
    guilds.map((g) => [g.guild_id, { alive: 0, dormant: 0, dead: 0, unknown: 0 }]),
  );
  let after: string | null = null;
  for (;;) {
    const page = await placedStatusPage(db, after, COUNT_PAGE_ROWS);
    for (const guild of guilds) {
      const c = counts.get(guild.guild_id) as StatusCounts;
      for (const g of page) if (inScope(guild, g)) c[g.status]++;
    }
    if (page.length < COUNT_PAGE_ROWS) return counts;
    after = page[page.length - 1]?.id ?? null;
  }
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
  const counts = await countsByGuild(db, guilds);
  const events = await eventsSince(db, new Date(now.getTime() - 7 * 86_400_000).toISOString());
  let queued = 0;
  for (const g of guilds) {
    const mine = events.filter((e) => inScope(g, e));
    const message = weeklyDigest(
      counts.get(g.guild_id) as StatusCounts,
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
  const counts = await countsByGuild(db, guilds);
  const events = await eventsSince(db, new Date(now.getTime() - 86_400_000).toISOString());
  let queued = 0;
  for (const g of guilds) {
    if (!g.status_board_channel_id) continue;
    const changed = events
      .filter((e) => e.kind !== "new" && inScope(g, e))
      .map((e) => ({ ...listed(e), status: e.status, since: e.at }));
    const message = statusBoard(counts.get(g.guild_id) as StatusCounts, changed, now.toISOString());
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
