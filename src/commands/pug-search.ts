import { type APIEmbed, ApplicationCommandOptionType } from "discord-api-types/v10";
import { findGroups } from "../db/groups.js";
import type { GroupRow } from "../db/schema.js";
import { STATUS_EMOJI } from "../liveness/status.js";
import { clampEmbed, DISCORD_LIMITS } from "../text/discord-limits.js";
import { clip, linkTo, placeLabel, safeText } from "../text/toolkit.js";
import type { SubcommandData } from "./define.js";
import { pageButtons } from "./pug-near.js";
import type { ButtonHandler, CommandDeps, Invocation, Reply } from "./types.js";

const PAGE_SIZE = 10;

export const searchSubcommand = {
  type: ApplicationCommandOptionType.Subcommand,
  name: "search",
  description: "Find groups by name, city or country",
  options: [
    {
      type: ApplicationCommandOptionType.String,
      name: "query",
      description: "Part of a group name, a city or a country",
      required: true,
      max_length: 100,
    },
  ],
} as const satisfies SubcommandData;

export function renderSearch(query: string, groups: GroupRow[], page: number, userId: string): Reply {
  if (groups.length === 0) {
    return {
      ephemeral: true,
      content: `No group matches "${safeText(clip(query, 80))}". Try a city or country name, or \`/pug near\`.`,
    };
  }
  const pages = Math.ceil(groups.length / PAGE_SIZE);
  const p = Math.min(Math.max(0, page), pages - 1);
  const lines = groups
    .slice(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)
    .map(
      (g) =>
        `${STATUS_EMOJI[g.status]} **${linkTo(g.url, clip(g.name, 80))}** · ${safeText(placeLabel(g))}${g.removed_at ? " · *no longer listed*" : ""}`,
    );
  const embed: APIEmbed = clampEmbed({
    title: clip(`Groups matching "${query}"`, DISCORD_LIMITS.title),
    description: lines.join("\n"),
    color: 0x3776ab,
    footer: { text: `${groups.length} found${pages > 1 ? ` · page ${p + 1}/${pages}` : ""}` },
  });
  const reply: Reply = { embeds: [embed] };
  if (pages > 1) reply.components = [pageButtons("search", userId, p, pages, [query])];
  return reply;
}

export async function executeSearch(
  deps: CommandDeps,
  inv: Invocation,
  query: string,
  page = 0,
): Promise<Reply> {
  const groups = await findGroups(deps.db, query, 100);
  return renderSearch(query, groups, page, inv.userId);
}

export const searchButtons: ButtonHandler = {
  prefix: "search",
  async execute(deps, inv, args, res) {
    const [, page, , ...q] = args;
    await res.update(await executeSearch(deps, inv, q.join(":"), Number(page) || 0));
  },
};
