import {
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
  type APIEmbed,
  ApplicationCommandOptionType,
  ButtonStyle,
  ComponentType,
} from "discord-api-types/v10";
import type { Place } from "../geo/geocode.js";
import { mapRequest } from "../jobs/map-request.js";
import { findNear, MAX_GROUPS, type NearbyGroup, type NearResult, placeSuggestions } from "../jobs/near.js";
import { STATUS_EMOJI } from "../liveness/status.js";
import { clampEmbed, DISCORD_LIMITS } from "../text/discord-limits.js";
import { clip, discordTime, formatKm, linkTo, relativeTime, safeText } from "../text/toolkit.js";
import { type SubcommandData, showOption } from "./define.js";
import type { ButtonHandler, Choice, CommandDeps, Invocation, Reply, Responder } from "./types.js";

export const PAGE_SIZE = 8;
export const DEFAULT_RADIUS = 100;

export const nearSubcommand = {
  type: ApplicationCommandOptionType.Subcommand,
  name: "near",
  description: "Python user groups near a place, nearest first",
  options: [
    {
      type: ApplicationCommandOptionType.String,
      name: "place",
      description: "A city, e.g. Katowice or Portland, Maine",
      required: true,
      autocomplete: true,
      max_length: 100,
    },
    {
      type: ApplicationCommandOptionType.Integer,
      name: "radius_km",
      description: `Search radius in km (default ${DEFAULT_RADIUS})`,
      min_value: 1,
      max_value: 2000,
    },
    showOption("Which groups to list (default: all)"),
  ],
} as const satisfies SubcommandData;

function groupLine(n: NearbyGroup, now: Date): string {
  const g = n.group;
  const where = g.city ?? g.country_name ?? "";
  const bits = [`${STATUS_EMOJI[g.status]} **${linkTo(g.url, clip(g.name, 80))}**`, formatKm(n.distanceKm)];
  if (where) bits.push(safeText(where));
  if (g.next_event_at && Date.parse(g.next_event_at) > now.getTime())
    bits.push(`next event ${discordTime(g.next_event_at)}`);
  else if (g.last_activity_at) bits.push(`last event ${relativeTime(g.last_activity_at, now)}`);
  if (g.status !== "alive") bits.push(`*${g.status}*`);
  return bits.join(" · ");
}

const nearestLine = (label: string, n: NearbyGroup) =>
  `${label}: **${safeText(n.group.name)}**, ${safeText(n.group.city ?? n.group.country_name ?? "")}, ${formatKm(n.distanceKm)}`;

export interface NearView {
  result: Extract<NearResult, { kind: "found" }>;
  page: number;
  show: "alive" | "all";
  userId: string;
  query: string;
}

/**
 * Pure rendering: near result -> one embed with a page of groups and page buttons. `result.groups` is that
 * page (findNear read only it); `groupsTotal` gives the page count, up to the MAX_GROUPS nearest.
 */
export function renderNear(v: NearView, now: Date): Reply {
  const { result } = v;
  const slice = result.groups.slice(0, PAGE_SIZE);
  const total = result.groupsTotal;
  const pages = Math.max(1, Math.ceil(Math.min(total, MAX_GROUPS) / PAGE_SIZE));
  const page = Math.min(Math.max(0, v.page), pages - 1);
  const lines: string[] = [];
  if (slice.length === 0) {
    lines.push(`No ${v.show === "alive" ? "alive " : ""}groups within ${formatKm(result.radiusKm)}.`);
  } else {
    lines.push(...slice.map((n) => groupLine(n, now)));
  }
  lines.push("");
  if (result.nearestAlive) lines.push(nearestLine("Nearest alive group", result.nearestAlive));
  else lines.push("No alive group is known anywhere yet.");
  if (slice.length === 0 && result.nearest && result.nearest.group.id !== result.nearestAlive?.group.id) {
    lines.push(nearestLine("Nearest group of any status", result.nearest));
  }
  const embed: APIEmbed = clampEmbed({
    title: clip(`Python groups near ${result.place.label}`, DISCORD_LIMITS.title),
    description: lines.join("\n"),
    color: 0x3776ab,
    footer: {
      text: `Within ${formatKm(result.radiusKm)} · ${total} ${v.show === "alive" ? "alive " : ""}group${total === 1 ? "" : "s"}${pages > 1 ? ` · page ${page + 1}/${pages}` : ""} · 🟢 alive 🟡 dormant 🔴 dead ⚪ unknown`,
    },
  });
  const reply: Reply = { embeds: [embed] };
  if (pages > 1)
    reply.components = [
      pageButtons("near", v.userId, page, pages, [String(result.radiusKm), v.show, v.query]),
    ];
  return reply;
}

/** Prev/next buttons whose custom_id holds all state, so they keep working after a restart. */
export function pageButtons(
  prefix: string,
  userId: string,
  page: number,
  pages: number,
  args: string[],
): APIActionRowComponent<APIComponentInMessageActionRow> {
  const id = (p: number, tag: string) => {
    const head = `${prefix}:${userId}:${p}:${tag}`;
    const rest = args.map((a) => a.replace(/:/g, " ")).join(":");
    return clip(`${head}:${rest}`, DISCORD_LIMITS.customId).replace(/…$/, "");
  };
  return {
    type: ComponentType.ActionRow,
    components: [
      {
        type: ComponentType.Button,
        style: ButtonStyle.Secondary,
        label: "◀ Previous",
        custom_id: id(page - 1, "p"),
        disabled: page <= 0,
      },
      {
        type: ComponentType.Button,
        style: ButtonStyle.Secondary,
        label: "Next ▶",
        custom_id: id(page + 1, "n"),
        disabled: page >= pages - 1,
      },
    ],
  };
}

export function didYouMean(query: string, kind: "ambiguous" | "not_found", suggestions: Place[]): Reply {
  const names = suggestions.slice(0, 10).map((p) => `• ${safeText(p.label)}`);
  const head =
    kind === "ambiguous"
      ? `"${safeText(clip(query, 80))}" could be several places. Did you mean one of these? Run the command again with the full name.`
      : `I couldn't find a place called "${safeText(clip(query, 80))}".${names.length ? " Did you mean:" : ' Check the spelling, or add the country (e.g. "Paris, France").'}`;
  return { ephemeral: true, content: clip([head, ...names].join("\n"), DISCORD_LIMITS.content) };
}

export async function executeNear(
  deps: CommandDeps,
  inv: Invocation,
  args: { place: string; radiusKm: number | null; show: string | null; page?: number },
): Promise<Reply> {
  const show = args.show === "alive" ? "alive" : "all";
  const ask = (page: number) =>
    findNear(deps.db, args.place, {
      radiusKm: args.radiusKm ?? DEFAULT_RADIUS,
      aliveOnly: show === "alive",
      offset: page * PAGE_SIZE,
      limit: PAGE_SIZE,
    });
  let page = Math.min(Math.max(0, args.page ?? 0), Math.ceil(MAX_GROUPS / PAGE_SIZE) - 1);
  let result = await ask(page);
  if (result.kind !== "found") return didYouMean(args.place, result.kind, result.suggestions);
  // A button from an older answer may point past the end now: show the last page there is.
  const last = Math.max(0, Math.ceil(Math.min(result.groupsTotal, MAX_GROUPS) / PAGE_SIZE) - 1);
  if (page > last) {
    page = last;
    result = await ask(page);
    if (result.kind !== "found") return didYouMean(args.place, result.kind, result.suggestions);
  }
  return renderNear({ result, page, show, userId: inv.userId, query: args.place }, deps.clock.now());
}

export async function autocompletePlace(deps: CommandDeps, value: string): Promise<Choice[]> {
  const places = await placeSuggestions(deps.db, value, DISCORD_LIMITS.choices);
  return places.map((p) => ({
    name: clip(p.label, DISCORD_LIMITS.choiceName),
    value: clip(p.label, DISCORD_LIMITS.choiceValue),
  }));
}

export const NEAR_MAP = "near.png";

/**
 * The map of a near answer: the place, its radius and the groups around it, or null when there is
 * nothing to draw (a did-you-mean, no group in the picture). Failures are logged, never shown.
 */
export async function nearMap(
  deps: CommandDeps,
  args: { place: string; radiusKm: number | null; show: string | null },
): Promise<Buffer | null> {
  try {
    const req = await mapRequest(deps.db, {
      place: args.place,
      radiusKm: args.radiusKm ?? DEFAULT_RADIUS,
      now: deps.clock.now(),
    });
    if (req.kind !== "map") return null;
    const groups = args.show === "alive" ? req.groups.filter((g) => g.status === "alive") : req.groups;
    const map = await deps.pictures.map(groups, req.view, { title: req.title, subtitle: req.subtitle });
    return map.onMap > 0 ? map.png : null;
  } catch (err) {
    deps.logger.warn({ err, place: args.place }, "could not draw the near map");
    return null;
  }
}

/** The same answer with the map as the embed's picture. */
export function withNearMap(reply: Reply, png: Buffer): Reply {
  const [first, ...rest] = reply.embeds ?? [];
  if (!first) return reply;
  return {
    ...reply,
    embeds: [{ ...first, image: { url: `attachment://${NEAR_MAP}` } }, ...rest],
    files: [{ name: NEAR_MAP, data: png }],
  };
}

/**
 * `/pug near`: the list goes out at once; the map follows as an edit of the same message, so drawing
 * never delays the answer. If the map can't be drawn or sent, the list stays as it is.
 */
export async function answerNear(
  deps: CommandDeps,
  inv: Invocation,
  args: { place: string; radiusKm: number | null; show: string | null },
  res: Responder,
): Promise<void> {
  const reply = await executeNear(deps, inv, args);
  await res.reply(reply);
  if (reply.ephemeral || !reply.embeds?.length) return;
  const png = await nearMap(deps, args);
  if (!png) return;
  try {
    await res.edit(withNearMap(reply, png));
  } catch (err) {
    deps.logger.warn({ err, place: args.place }, "could not add the map to a near answer");
  }
}

export const nearButtons: ButtonHandler = {
  prefix: "near",
  async execute(deps, inv, args, res: Responder) {
    const [, page, , radius, show, ...q] = args;
    const near = { place: q.join(":"), radiusKm: Number(radius) || DEFAULT_RADIUS, show: show ?? "all" };
    const reply = await executeNear(deps, inv, { ...near, page: Number(page) || 0 });
    if (reply.ephemeral || !reply.embeds?.length) return res.update(reply);
    // The page at once, without the previous page's map (`files: []` removes it: Discord would show it
    // beside the embed); then the same map, drawn again and sent as an edit, because an embed's
    // attachment:// name points at a file uploaded with the same request. A page turn never waits for
    // a picture (a renderer just starting takes a second or two).
    await res.update({ ...reply, files: [] });
    const png = await nearMap(deps, near);
    if (!png) return;
    try {
      await res.edit(withNearMap(reply, png));
    } catch (err) {
      deps.logger.warn({ err, place: near.place }, "could not add the map to a near page");
    }
  },
};
