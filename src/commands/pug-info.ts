import { type APIEmbed, ApplicationCommandOptionType } from "discord-api-types/v10";
import { findGroups, listChannels } from "../db/groups.js";
import { recentChecks } from "../db/scans.js";
import type { CheckRow, GroupRow } from "../db/schema.js";
import { findGroup } from "../jobs/find-group.js";
import { STATUS_COLOR } from "../liveness/status.js";
import type { ChannelLike } from "../present/channels.js";
import { groupInfo } from "../present/info.js";
import { wordsFor } from "../present/medium.js";
import { clampEmbed, DISCORD_LIMITS } from "../text/discord-limits.js";
import { clip, linkTo, safeText, safeUrl } from "../text/toolkit.js";
import type { SubcommandData } from "./define.js";
import type { Choice, CommandDeps, Reply } from "./types.js";

export const infoSubcommand = {
  type: ApplicationCommandOptionType.Subcommand,
  name: "info",
  description: "One group's verdict, the evidence and its recent checks",
  options: [
    {
      type: ApplicationCommandOptionType.String,
      name: "group",
      description: "Start typing a group name",
      required: true,
      autocomplete: true,
      max_length: 100,
    },
  ],
} as const satisfies SubcommandData;

export function renderInfo(
  g: GroupRow,
  checks: CheckRow[],
  now: Date,
  channels: readonly ChannelLike[] = [],
): Reply {
  const info = groupInfo(
    g,
    checks,
    channels,
    wordsFor("discord", now),
    "an admin can run `/pug-admin rescan`",
  );
  const embed: APIEmbed = clampEmbed({
    title: clip(info.title, DISCORD_LIMITS.title),
    url: safeUrl(info.url) ?? undefined,
    description: [linkTo(info.url), info.description].filter(Boolean).join("\n"),
    color: STATUS_COLOR[g.status],
    fields: info.fields,
    footer: { text: info.footer },
  });
  return { embeds: [embed] };
}

export const unknownGroup = (query: string): Reply => ({
  ephemeral: true,
  content: `I don't know a group called "${safeText(clip(query, 80))}". Pick one from the suggestions, or try \`/pug search\`.`,
});

export async function infoReply(deps: CommandDeps, g: GroupRow): Promise<Reply> {
  const [checks, channels] = await Promise.all([recentChecks(deps.db, g.id, 8), listChannels(deps.db, g.id)]);
  return renderInfo(g, checks, deps.clock.now(), channels);
}

export async function executeInfo(deps: CommandDeps, query: string): Promise<Reply> {
  const g = await findGroup(deps.db, query);
  return g ? infoReply(deps, g) : unknownGroup(query);
}

export async function autocompleteGroup(deps: CommandDeps, value: string): Promise<Choice[]> {
  const v = value.trim();
  const groups = await findGroups(deps.db, v, DISCORD_LIMITS.choices);
  return groups.map((g) => ({
    name: clip(
      `${g.name} — ${g.city ?? g.country_name ?? ""}`.replace(/ — $/, ""),
      DISCORD_LIMITS.choiceName,
    ),
    value: g.id,
  }));
}
