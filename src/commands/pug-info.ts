import {
  type APIApplicationCommandSubcommandOption,
  type APIEmbed,
  type APIEmbedField,
  ApplicationCommandOptionType,
} from "discord-api-types/v10";
import { findGroups } from "../db/groups.js";
import { recentChecks } from "../db/scans.js";
import type { CheckRow, GroupRow } from "../db/schema.js";
import { findGroup } from "../jobs/places.js";
import { reasonText } from "../liveness/reasons.js";
import { placeLabel, relativeTime, STATUS_EMOJI } from "../present/text.js";
import { clampEmbed, clip, discordTime, escapeText, LIMITS } from "./limits.js";
import type { Choice, CommandDeps, Reply } from "./types.js";

export const infoSubcommand: APIApplicationCommandSubcommandOption = {
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
};

const STATUS_COLOR = { alive: 0x2ecc71, dormant: 0xf1c40f, dead: 0xe74c3c, unknown: 0x95a5a6 } as const;

export function renderInfo(g: GroupRow, checks: CheckRow[], now: Date): Reply {
  const last = checks[0];
  const evidence = last ? (JSON.parse(last.evidence) as Record<string, unknown>) : {};
  const fields: APIEmbedField[] = [
    { name: "Where", value: escapeText(placeLabel(g)), inline: true },
    {
      name: "Verdict",
      value: `${STATUS_EMOJI[g.status]} ${g.status}${g.status_since ? ` since ${discordTime(g.status_since)}` : ""}`,
      inline: true,
    },
    {
      name: "Why",
      value: g.reason ? reasonText(g.reason) : "Not checked yet: an admin can run `/pug-admin rescan`.",
    },
  ];
  if (g.failing_since && g.status !== "dead") {
    fields.push({
      name: "Failing",
      value: `Since ${discordTime(g.failing_since)} (${g.consecutive_failures} check${g.consecutive_failures === 1 ? "" : "s"}): ${reasonText(g.failing_reason ?? "")} It stays ${g.status} until failures repeat over time.`,
    });
  }
  if (last) {
    const bits = [`HTTP ${last.http_status ?? "—"}`];
    if (last.final_url && last.final_url !== g.url) bits.push(`ended at ${clip(last.final_url, 200)}`);
    const title = typeof evidence.title === "string" ? evidence.title : null;
    if (title) bits.push(`page title “${escapeText(clip(title, 100))}”`);
    fields.push({ name: "Evidence", value: bits.join("\n") });
    fields.push({
      name: "Last checked",
      value: `${discordTime(last.checked_at)} (${relativeTime(last.checked_at, now)})`,
      inline: true,
    });
  }
  if (g.last_activity_at)
    fields.push({ name: "Last activity", value: discordTime(g.last_activity_at, "D"), inline: true });
  if (g.next_event_at)
    fields.push({ name: "Next event", value: discordTime(g.next_event_at, "D"), inline: true });
  if (checks.length > 0) {
    fields.push({
      name: "Recent checks",
      value: checks
        .slice(0, 8)
        .map(
          (c) =>
            `${STATUS_EMOJI[c.status]} ${discordTime(c.checked_at)} · ${c.reason}${c.http_status ? ` · ${c.http_status}` : ""}`,
        )
        .join("\n"),
    });
  }
  if (g.removed_at)
    fields.push({
      name: "Listing",
      value: `No longer listed on the wiki since ${discordTime(g.removed_at, "D")}.`,
    });
  const embed: APIEmbed = clampEmbed({
    title: clip(`${STATUS_EMOJI[g.status]} ${g.name}`, LIMITS.title),
    url: /^https?:\/\//.test(g.url) ? g.url : undefined,
    description: [g.url, g.description ? escapeText(g.description) : null].filter(Boolean).join("\n"),
    color: STATUS_COLOR[g.status],
    fields,
    footer: { text: `id ${g.id}` },
  });
  return { embeds: [embed] };
}

export const unknownGroup = (query: string): Reply => ({
  ephemeral: true,
  content: `I don't know a group called "${escapeText(clip(query, 80))}". Pick one from the suggestions, or try \`/pug search\`.`,
});

export async function infoReply(deps: CommandDeps, g: GroupRow): Promise<Reply> {
  return renderInfo(g, await recentChecks(deps.db, g.id, 8), deps.clock.now());
}

export async function executeInfo(deps: CommandDeps, query: string): Promise<Reply> {
  const g = await findGroup(deps.db, query);
  return g ? infoReply(deps, g) : unknownGroup(query);
}

export async function autocompleteGroup(deps: CommandDeps, value: string): Promise<Choice[]> {
  const v = value.trim();
  const groups = await findGroups(deps.db, v, LIMITS.choices);
  return groups.map((g) => ({
    name: clip(`${g.name} — ${g.city ?? g.country_name ?? ""}`.replace(/ — $/, ""), LIMITS.choiceName),
    value: g.id,
  }));
}
