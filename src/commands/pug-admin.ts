import {
  type APIApplicationCommandSubcommandOption,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ChannelType,
  InteractionContextType,
  PermissionFlagsBits,
} from "discord-api-types/v10";
import { describeScope } from "../alerts/scope.js";
import { getGroupById } from "../db/groups.js";
import { disableGuildAlerts, getGuildSettings, setStatusBoard, upsertGuildAlerts } from "../db/outbox.js";
import type { GuildSettingsRow } from "../db/schema.js";
import { countryCode } from "../geo/countries.js";
import { findPlace } from "../jobs/near.js";
import { findGroup } from "../jobs/places.js";
import type { ScanOutcome, ScanProgress } from "../jobs/scan.js";
import type { SyncOutcome } from "../jobs/sync.js";
import { reasonText } from "../liveness/reasons.js";
import { percent, STATUS_EMOJI, STATUSES } from "../present/text.js";
import { clip, discordTime, escapeText } from "./limits.js";
import { autocompleteGroup, infoReply, unknownGroup } from "./pug-info.js";
import { autocompletePlace } from "./pug-near.js";
import { CONTINENT_CHOICES, scheduleInfo } from "./pug-stats.js";
import { type CommandDeps, type Invocation, type Reply, type SlashCommand, UserError } from "./types.js";

const MANAGE = PermissionFlagsBits.ManageGuild;
const ADMIN = PermissionFlagsBits.Administrator;

/** Discord hides the command from others via default_member_permissions; we check again here. */
export function canManage(inv: Invocation): boolean {
  if (!inv.guildId || inv.permissions === null) return false;
  return (inv.permissions & MANAGE) === MANAGE || (inv.permissions & ADMIN) === ADMIN;
}

const rescan: APIApplicationCommandSubcommandOption = {
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
};

const sync: APIApplicationCommandSubcommandOption = {
  type: ApplicationCommandOptionType.Subcommand,
  name: "sync",
  description: "Refresh the group list from the Python wiki now",
};

export const pugAdmin: SlashCommand = {
  data: {
    name: "pug-admin",
    type: ApplicationCommandType.ChatInput,
    description: "Poick settings and maintenance for server managers",
    default_member_permissions: String(MANAGE),
    contexts: [InteractionContextType.Guild],
    options: [
      rescan,
      sync,
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
            name: "show",
            description: "Show this server's alert settings and the job schedule",
          },
        ],
      },
    ],
  },

  async execute(deps, inv, opts, res) {
    if (!inv.guildId) throw new UserError("This command works in a server, not in DMs.");
    if (!canManage(inv))
      throw new UserError("Only members with the Manage Server permission can use `/pug-admin`.");
    const key = opts.group ? `${opts.group} ${opts.subcommand}` : opts.subcommand;
    switch (key) {
      case "rescan": {
        const group = opts.string("group");
        if (group) {
          await res.defer(true);
          const g = await findGroup(deps.db, group);
          if (!g) return res.edit(unknownGroup(group));
          return res.edit(await rescanOneReply(deps, g.id, await deps.jobs.scanOne(g.id)));
        }
        if (await deps.jobs.isRunning("scan")) {
          return res.reply({
            ephemeral: true,
            content:
              "A scan is already running. I'll keep going with that one; try again when it has finished.",
          });
        }
        await res.reply({
          ephemeral: true,
          content: "🔄 Rescan started. I'll update this message as it goes.",
        });
        void runFullScan(deps, res);
        return;
      }
      case "sync": {
        await res.defer(true);
        const outcome = await deps.jobs.sync({ force: true });
        return res.edit({ ephemeral: true, content: syncText(outcome) });
      }
      case "alerts channel":
        return res.reply(await setAlerts(deps, inv, opts));
      case "alerts off":
        await disableGuildAlerts(deps.db, inv.guildId, deps.clock.now().toISOString());
        return res.reply({
          ephemeral: true,
          content: "Alerts are off for this server. Turn them on again with `/pug-admin alerts channel`.",
        });
      case "alerts board": {
        const ch = opts.channel("channel");
        await setStatusBoard(deps.db, inv.guildId, ch?.id ?? null, null, deps.clock.now().toISOString());
        return res.reply({
          ephemeral: true,
          content: ch
            ? `📋 A status board will appear in <#${ch.id}> after the next scan and be edited in place after every scan.`
            : "The status board is off.",
        });
      }
      case "alerts show":
        return res.reply(await showAlerts(deps, inv.guildId));
      default:
        throw new UserError("I don't know that subcommand.");
    }
  },

  async autocomplete(deps, _inv, opts, focused) {
    if (focused.name === "group") return autocompleteGroup(deps, focused.value);
    if (focused.name === "near") return autocompletePlace(deps, focused.value);
    void opts;
    return [];
  },
};

async function rescanOneReply(deps: CommandDeps, id: string, outcome: ScanOutcome): Promise<Reply> {
  if (outcome.kind === "offline") return { ephemeral: true, content: `⚠️ ${outcome.message}` };
  if (outcome.kind !== "done")
    return { ephemeral: true, content: "I couldn't check that group. Try again in a minute." };
  const g = await getGroupById(deps.db, id);
  if (!g) return unknownGroup(id);
  const fresh = await infoReply(deps, g);
  const r = outcome.groups[0];
  return {
    ...fresh,
    ephemeral: true,
    content: r
      ? `Checked just now: ${STATUS_EMOJI[r.verdict.status]} ${r.verdict.status} — ${reasonText(r.verdict.reason)}`
      : undefined,
  };
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
    await res.edit({ ephemeral: true, content: scanText(outcome) });
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

export function scanText(outcome: ScanOutcome | { kind: "busy" }): string {
  switch (outcome.kind) {
    case "busy":
      return "A scan is already running (maybe started by the schedule or another admin). Try again when it has finished.";
    case "offline":
      return `⚠️ ${outcome.message}`;
    case "not_found":
      return outcome.message;
    case "done": {
      const total = STATUSES.reduce((a, s) => a + outcome.counts[s], 0);
      const lines = [
        `✅ Rescan finished: ${outcome.counts.alive} / ${total} = ${percent(outcome.counts.alive, total)} alive.`,
        STATUSES.map((s) => `${STATUS_EMOJI[s]} ${outcome.counts[s]} ${s}`).join(" · "),
      ];
      for (const t of outcome.transitions.slice(0, 10)) {
        lines.push(
          t.transition === "dead"
            ? `🔴 ${escapeText(t.name)} is now dead.`
            : `🟢 ${escapeText(t.name)} is back.`,
        );
      }
      return clip(lines.join("\n"), 2000);
    }
  }
}

export function syncText(outcome: SyncOutcome | { kind: "busy" }): string {
  switch (outcome.kind) {
    case "busy":
      return "A sync is already running. Try again in a minute.";
    case "synced":
      return `✅ Synced from the wiki: ${outcome.found} groups, ${outcome.added.length} new, ${outcome.removed.length} no longer listed.`;
    case "unchanged":
      return `The wiki page hasn't changed since the last sync (${outcome.previous} groups).`;
    case "refused":
      return `⚠️ Sync refused, nothing changed: ${outcome.message}`;
    case "failed":
      return `⚠️ Sync failed: ${outcome.message}`;
  }
}

async function setAlerts(
  deps: CommandDeps,
  inv: Invocation,
  opts: Parameters<SlashCommand["execute"]>[2],
): Promise<Reply> {
  const channel = opts.channel("channel");
  if (!channel) throw new UserError("Pick a channel for the alerts.");
  const continent = opts.string("continent");
  const country = opts.string("country");
  const near = opts.string("near");
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
      radiusKm: opts.integer("radius_km") ?? 200,
    };
  }
  const digest = opts.boolean("weekly_digest");
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
    if (s.status_board_channel_id) lines.push(`📋 Status board in <#${s.status_board_channel_id}>.`);
    if (s.last_error && s.last_error_at) {
      lines.push(
        `⚠️ Last delivery problem ${discordTime(s.last_error_at)}: ${escapeText(clip(s.last_error, 300))}`,
      );
    }
  }
  lines.push(
    "",
    `Scan: last ${sched.lastScanAt ? discordTime(sched.lastScanAt) : "never"}${sched.nextScanAt ? `, next ${discordTime(sched.nextScanAt.toISOString())}` : ""}.`,
    `Wiki sync: last ${sched.lastSyncAt ? discordTime(sched.lastSyncAt) : "never"}${sched.nextSyncAt ? `, next ${discordTime(sched.nextSyncAt.toISOString())}` : ""}.`,
  );
  return { ephemeral: true, content: lines.join("\n") };
}
