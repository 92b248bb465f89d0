import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ChannelType,
  InteractionContextType,
  PermissionFlagsBits,
} from "discord-api-types/v10";
import { describeScope } from "../alerts/scope.js";
import { getGroupById, lastSyncFlag } from "../db/groups.js";
import {
  disableGuildAlerts,
  getGuildSettings,
  setStatusBoard,
  upsertGuildAlerts,
} from "../db/guild-settings.js";
import type { GuildSettingsRow } from "../db/schema.js";
import { countryCode } from "../geo/countries.js";
import { findGroup } from "../jobs/find-group.js";
import { findPlace } from "../jobs/near.js";
import type { ScanOutcome, ScanProgress } from "../jobs/scan.js";
import type { Busy } from "../jobs/use-cases.js";
import { wordsFor } from "../present/medium.js";
import { checkedOne, scanSummary, syncSummary } from "../present/outcomes.js";
import { DISCORD_LIMITS } from "../text/discord-limits.js";
import { clip, discordTime, safeText } from "../text/toolkit.js";
import { type CommandData, defineCommand, type Routes, type SubcommandData } from "./define.js";
import { executeReport, reportSubcommand } from "./pug-admin-report.js";
import { autocompleteGroup, infoReply, unknownGroup } from "./pug-info.js";
import { autocompletePlace } from "./pug-near.js";
import { CONTINENT_CHOICES, scheduleInfo } from "./pug-stats.js";
import { type CommandDeps, type Invocation, type Reply, UserError } from "./types.js";

const MANAGE = PermissionFlagsBits.ManageGuild;
const ADMIN = PermissionFlagsBits.Administrator;

/** Discord hides the command from others via default_member_permissions; we check again here. */
export function canManage(inv: Invocation): boolean {
  if (!inv.guildId || inv.permissions === null) return false;
  return (inv.permissions & MANAGE) === MANAGE || (inv.permissions & ADMIN) === ADMIN;
}

const rescan = {
  type: ApplicationCommandOptionType.Subcommand,
  name: "rescan",
  description: "Check the groups' websites now (one group, or all in the background)",
  options: [
    {
      type: ApplicationCommandOptionType.String,
      name: "group",
      description: "Just this group (leave empty for all)",
      autocomplete: true,
      max_length: 100,
    },
  ],
} as const satisfies SubcommandData;

const sync = {
  type: ApplicationCommandOptionType.Subcommand,
  name: "sync",
  description: "Refresh the group list from the Python wiki now",
} as const satisfies SubcommandData;

export const pugAdminData = {
  name: "pug-admin",
  type: ApplicationCommandType.ChatInput,
  description: "Poick settings and maintenance for server managers",
  default_member_permissions: String(MANAGE),
  contexts: [InteractionContextType.Guild],
  options: [
    rescan,
    sync,
    reportSubcommand,
    {
      type: ApplicationCommandOptionType.SubcommandGroup,
      name: "alerts",
      description: "Where and about which groups this server hears when a group dies or comes back",
      options: [
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "channel",
          description: "Send alerts to a channel, for everything or one area",
          options: [
            {
              type: ApplicationCommandOptionType.Channel,
              name: "channel",
              description: "The channel for alerts",
              required: true,
              channel_types: [ChannelType.GuildText, ChannelType.GuildAnnouncement],
            },
            {
              type: ApplicationCommandOptionType.String,
              name: "continent",
              description: "Only groups on this continent",
              choices: CONTINENT_CHOICES.map((c) => ({ name: c, value: c })),
            },
            {
              type: ApplicationCommandOptionType.String,
              name: "country",
              description: "Only groups in this country",
              max_length: 60,
            },
            {
              type: ApplicationCommandOptionType.String,
              name: "near",
              description: "Only groups near this place",
              autocomplete: true,
              max_length: 100,
            },
            {
              type: ApplicationCommandOptionType.Integer,
              name: "radius_km",
              description: "With near: the radius in km (default 200)",
              min_value: 1,
              max_value: 2000,
            },
            {
              type: ApplicationCommandOptionType.Boolean,
              name: "weekly_digest",
              description: "Also post a weekly summary (off by default)",
            },
          ],
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "off",
          description: "Stop sending alerts to this server",
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "board",
          description:
            "Keep one status message in a channel, edited after every scan (no channel: remove it)",
          options: [
            {
              type: ApplicationCommandOptionType.Channel,
              name: "channel",
              description: "The channel for the status board (leave empty to remove it)",
              channel_types: [ChannelType.GuildText, ChannelType.GuildAnnouncement],
            },
          ],
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "show",
          description: "Show this server's alert settings and the job schedule",
        },
      ],
    },
  ],
} as const satisfies CommandData;

const COOLDOWN_MS = 10 * 60_000;
/** When each server last forced a sync or a full rescan: one server can't hammer the wiki or group sites. */
const lastForced = new Map<string, number>();

function cooldown(deps: CommandDeps, guildId: string, job: "sync" | "scan"): void {
  const key = `${guildId}:${job}`;
  const now = deps.clock.now().getTime();
  const last = lastForced.get(key);
  if (last !== undefined && now - last < COOLDOWN_MS) {
    const mins = Math.ceil((COOLDOWN_MS - (now - last)) / 60_000);
    throw new UserError(
      `This server started a ${job} a few minutes ago. Please wait ${mins} more minute${mins === 1 ? "" : "s"}; the schedule keeps everything fresh anyway.`,
    );
  }
  lastForced.set(key, now);
}

/** `/pug-admin`: maintenance and alert settings, for members who can manage the server. */
export const pugAdmin = defineCommand({
  data: pugAdminData,
  guard: ({ inv }) => {
    if (!inv.guildId) throw new UserError("This command works in a server, not in DMs.");
    if (!canManage(inv))
      throw new UserError("Only members with the Manage Server permission can use `/pug-admin`.");
  },
  handlers: {
    rescan: async ({ deps, inv }, a, res) => {
      if (a.group) {
        await res.defer(true);
        const g = await findGroup(deps.db, a.group);
        if (!g) return res.edit(unknownGroup(a.group));
        return res.edit(await rescanOneReply(deps, g.id, await deps.jobs.scanOne(g.id)));
      }
      if (await deps.jobs.isRunning("scan")) {
        return res.reply({ ephemeral: true, content: scanSummary({ kind: "busy" }, discordWords(deps)) });
      }
      cooldown(deps, inv.guildId as string, "scan");
      await res.reply({
        ephemeral: true,
        content: "🔄 Rescan started. I'll update this message as it goes.",
      });
      void runFullScan(deps, res);
    },
    sync: async ({ deps, inv }, _a, res) => {
      cooldown(deps, inv.guildId as string, "sync");
      await res.defer(true);
      const outcome = await deps.jobs.sync({ force: true });
      return res.edit({ ephemeral: true, content: syncSummary(outcome, discordWords(deps)) });
    },
    report: async ({ deps }, a, res) => {
      await res.defer(true);
      return res.edit(await executeReport(deps, a.format));
    },
    "alerts channel": async ({ deps, inv }, a, res) => res.reply(await setAlerts(deps, inv, a)),
    "alerts off": async ({ deps, inv }, _a, res) => {
      await disableGuildAlerts(deps.db, inv.guildId as string, deps.clock.now().toISOString());
      return res.reply({
        ephemeral: true,
        content: "Alerts are off for this server. Turn them on again with `/pug-admin alerts channel`.",
      });
    },
    "alerts board": async ({ deps, inv }, a, res) => {
      const ch = a.channel;
      await setStatusBoard(
        deps.db,
        inv.guildId as string,
        ch?.id ?? null,
        null,
        deps.clock.now().toISOString(),
      );
      return res.reply({
        ephemeral: true,
        content: ch
          ? `📋 A status board will appear in <#${ch.id}> after the next scan and be edited in place after every scan.`
          : "The status board is off.",
      });
    },
    "alerts show": async ({ deps, inv }, _a, res) => res.reply(await showAlerts(deps, inv.guildId as string)),
  },
  autocomplete: {
    group: (deps, value) => autocompleteGroup(deps, value),
    near: (deps, value) => autocompletePlace(deps, value),
  },
});

const discordWords = (deps: CommandDeps) => wordsFor("discord", deps.clock.now());

async function rescanOneReply(deps: CommandDeps, id: string, outcome: ScanOutcome | Busy): Promise<Reply> {
  const words = discordWords(deps);
  const g = outcome.kind === "done" ? await getGroupById(deps.db, id) : undefined;
  if (!g) return { ephemeral: true, content: checkedOne(outcome, words) };
  return { ...(await infoReply(deps, g)), ephemeral: true, content: checkedOne(outcome, words) };
}

/** Runs a full scan in the background, editing the admin's message with progress (at most every 2 s). */
async function runFullScan(deps: CommandDeps, res: { edit(r: Reply): Promise<void> }): Promise<void> {
  let lastEdit = 0;
  let editing: Promise<void> = Promise.resolve();
  const startedAt = deps.clock.now().getTime();
  // Interaction tokens expire after 15 minutes; stop editing a little before.
  const canEdit = () => deps.clock.now().getTime() - startedAt < 14 * 60_000;
  const onProgress = (p: ScanProgress) => {
    const now = Date.now();
    if (now - lastEdit < 2000 || !canEdit()) return;
    lastEdit = now;
    editing = editing
      .then(() =>
        res.edit({ ephemeral: true, content: `🔄 Rescanning… ${p.done}/${p.total} groups checked.` }),
      )
      .catch((err) => deps.logger.warn({ err }, "could not edit the rescan progress message"));
  };
  try {
    const outcome = await deps.jobs.scanAll(onProgress);
    await editing;
    if (!canEdit()) return;
    await res.edit({
      ephemeral: true,
      content: clip(scanSummary(outcome, discordWords(deps)), DISCORD_LIMITS.content),
    });
  } catch (err) {
    deps.logger.error({ err }, "background rescan failed");
    if (canEdit())
      await res
        .edit({
          ephemeral: true,
          content: "The rescan failed unexpectedly. The details are in the bot's log.",
        })
        .catch(() => {});
  }
}

async function setAlerts(
  deps: CommandDeps,
  inv: Invocation,
  a: Routes<typeof pugAdminData>["alerts channel"],
): Promise<Reply> {
  const { channel, continent, country, near } = a;
  const chosen = [continent, country, near].filter(Boolean).length;
  if (chosen > 1) throw new UserError("Choose at most one of continent, country or near.");
  let scope: Parameters<typeof upsertGuildAlerts>[2]["scope"] = {
    kind: "all",
    value: null,
    lat: null,
    lon: null,
    radiusKm: null,
  };
  if (continent) scope = { kind: "continent", value: continent, lat: null, lon: null, radiusKm: null };
  if (country) {
    const code = countryCode(country);
    if (!code)
      throw new UserError(
        `I don't know a country called "${clip(country, 60)}". Try its English name or two-letter code.`,
      );
    scope = { kind: "country", value: code, lat: null, lon: null, radiusKm: null };
  }
  if (near) {
    const place = await findPlace(deps.db, near);
    if (place.kind !== "found") {
      const s = place.suggestions
        .slice(0, 5)
        .map((p) => p.label)
        .join("; ");
      throw new UserError(`I couldn't pin down "${clip(near, 60)}".${s ? ` Did you mean: ${s}?` : ""}`);
    }
    scope = {
      kind: "near",
      value: place.place.label,
      lat: place.place.lat,
      lon: place.place.lon,
      radiusKm: a.radius_km ?? 200,
    };
  }
  const digest = a.weekly_digest;
  const settings = await upsertGuildAlerts(deps.db, inv.guildId as string, {
    channelId: channel.id,
    scope,
    digest: digest ?? undefined,
    now: deps.clock.now().toISOString(),
  });
  return {
    ephemeral: true,
    content: `🔔 Alerts for ${describeScope(settings)} will go to <#${channel.id}>, starting now (no backlog). Make sure I can send messages and embed links there.`,
  };
}

export async function showAlerts(deps: CommandDeps, guildId: string): Promise<Reply> {
  const s: GuildSettingsRow | undefined = await getGuildSettings(deps.db, guildId);
  const sched = await scheduleInfo(deps.jobs);
  const lines: string[] = [];
  if (!s?.alert_channel_id) lines.push("🔕 Alerts are off. Turn them on with `/pug-admin alerts channel`.");
  else {
    lines.push(`🔔 Alerts go to <#${s.alert_channel_id}> for ${describeScope(s)}.`);
    if (s.alerts_since)
      lines.push(`Since ${discordTime(s.alerts_since)}; weekly digest ${s.digest_enabled ? "on" : "off"}.`);
    if (s.last_error && s.last_error_at) {
      lines.push(
        `⚠️ Last delivery problem ${discordTime(s.last_error_at)}: ${safeText(clip(s.last_error, 300))}`,
      );
    }
  }
  if (s?.status_board_channel_id) lines.push(`📋 Status board in <#${s.status_board_channel_id}>.`);
  const flag = await lastSyncFlag(deps.db);
  if (flag)
    lines.push(
      `⚠️ The wiki sync ${discordTime(flag.at)} needs a human look: ${safeText(flag.why)}. Check the page, then \`/pug-admin sync\`.`,
    );
  lines.push(
    "",
    `Scan: last ${sched.lastScanAt ? discordTime(sched.lastScanAt) : "never"}${sched.nextScanAt ? `, next ${discordTime(sched.nextScanAt.toISOString())}` : ""}.`,
    `Wiki sync: last ${sched.lastSyncAt ? discordTime(sched.lastSyncAt) : "never"}${sched.nextSyncAt ? `, next ${discordTime(sched.nextSyncAt.toISOString())}` : ""}.`,
  );
  return { ephemeral: true, content: lines.join("\n") };
}
