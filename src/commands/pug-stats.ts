import { type APIEmbed, ApplicationCommandOptionType } from "discord-api-types/v10";
import { CONTINENTS } from "../geo/countries.js";
import { statsChartFor } from "../jobs/chart-data.js";
import { groupStats, type StatsResult } from "../jobs/stats.js";
import type { Jobs } from "../jobs/use-cases.js";
import { STATUS_EMOJI, STATUSES } from "../liveness/status.js";
import { clampEmbed } from "../text/discord-limits.js";
import { discordTime, percent, safeText } from "../text/toolkit.js";
import type { SubcommandData } from "./define.js";
import type { CommandDeps, Reply, Responder } from "./types.js";

export const CONTINENT_CHOICES = CONTINENTS;

export const statsSubcommand = {
  type: ApplicationCommandOptionType.Subcommand,
  name: "stats",
  description: "How many groups are alive, like the study's 59 / 324",
  options: [
    {
      type: ApplicationCommandOptionType.String,
      name: "country",
      description: "A country name or code, e.g. Poland or PL",
      max_length: 60,
    },
    {
      type: ApplicationCommandOptionType.String,
      name: "continent",
      description: "A continent",
      choices: CONTINENT_CHOICES.map((c) => ({ name: c, value: c })),
    },
  ],
} as const satisfies SubcommandData;

export interface ScheduleInfo {
  lastScanAt: string | null;
  nextScanAt: Date | null;
  lastSyncAt: string | null;
  nextSyncAt: Date | null;
}

export function renderStats(stats: Extract<StatsResult, { kind: "stats" }>, schedule: ScheduleInfo): Reply {
  const lines = [
    `**${stats.alive} / ${stats.total} = ${percent(stats.alive, stats.total)} alive**`,
    "",
    ...STATUSES.map(
      (s) => `${STATUS_EMOJI[s]} ${s}: **${stats.byStatus[s]}** (${percent(stats.byStatus[s], stats.total)})`,
    ),
  ];
  const runs: string[] = [];
  runs.push(schedule.lastScanAt ? `Last scan ${discordTime(schedule.lastScanAt)}` : "No scan has run yet");
  if (schedule.nextScanAt) runs.push(`next ${discordTime(schedule.nextScanAt.toISOString())}`);
  const syncs: string[] = [
    schedule.lastSyncAt
      ? `Last wiki sync ${discordTime(schedule.lastSyncAt)}`
      : "The wiki has not been synced yet",
  ];
  if (schedule.nextSyncAt) syncs.push(`next ${discordTime(schedule.nextSyncAt.toISOString())}`);
  const embed: APIEmbed = clampEmbed({
    title: `Python user groups — ${safeText(stats.scope)}`,
    description: [...lines, "", `${runs.join(", ")}.`, `${syncs.join(", ")}.`].join("\n"),
    color: 0x3776ab,
  });
  return { embeds: [embed] };
}

export async function scheduleInfo(jobs: Jobs): Promise<ScheduleInfo> {
  const [scan, sync] = await Promise.all([jobs.lastRun("scan"), jobs.lastRun("sync")]);
  return {
    lastScanAt: scan.finishedAt,
    nextScanAt: jobs.nextRun("scan"),
    lastSyncAt: sync.finishedAt,
    nextSyncAt: jobs.nextRun("sync"),
  };
}

export async function executeStats(
  deps: CommandDeps,
  filter: { country: string | null; continent: string | null },
): Promise<Reply> {
  const stats = await groupStats(deps.db, {
    country: filter.country ?? undefined,
    continent: filter.continent ?? undefined,
  });
  if (stats.kind === "unknown_area") return { ephemeral: true, content: stats.message };
  const schedule = await scheduleInfo(deps.jobs);
  return renderStats(stats, { ...schedule, lastScanAt: schedule.lastScanAt ?? stats.lastScanAt });
}

export const STATS_CHART = "stats.png";

/**
 * `/pug stats`: the numbers with the chart as the embed's picture (alive share per area, alive groups
 * per scan). Drawing takes a moment, so the answer is deferred first; an area Poick doesn't know is
 * answered at once, privately. If the chart can't be drawn, the numbers go out alone.
 */
export async function answerStats(
  deps: CommandDeps,
  filter: { country: string | null; continent: string | null },
  res: Responder,
): Promise<void> {
  const reply = await executeStats(deps, filter);
  const [embed] = reply.embeds ?? [];
  if (reply.ephemeral || !embed) return res.reply(reply);
  await res.defer(false);
  let png: Buffer | null = null;
  try {
    png = await deps.pictures.statsChart(await statsChartFor(deps.db, filter), deps.clock.now());
  } catch (err) {
    deps.logger.warn({ err }, "could not draw the stats chart");
  }
  if (!png) return res.edit(reply);
  return res.edit({
    ...reply,
    embeds: [{ ...embed, image: { url: `attachment://${STATS_CHART}` } }],
    files: [{ name: STATS_CHART, data: png }],
  });
}
