import type { APIEmbed, APIEmbedField, RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import type { LivenessStatus } from "../liveness/reasons.js";

/** Discord's hard limits on a message (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fieldName: 256,
  fieldValue: 1024,
  fields: 25,
  footer: 2048,
  author: 256,
  embedTotal: 6000,
  embeds: 10,
  url: 2000,
} as const;

export type AlertMessage = RESTPostAPIChannelMessageJSONBody;

/** What the alert embeds need to know about a group (a `GroupRow` fits). */
export interface AlertGroup {
  name: string;
  url: string;
  city: string | null;
  region: string | null;
  country_name: string | null;
  continent: string | null;
  description?: string | null;
}

export interface NearestAlive {
  name: string;
  url: string;
  city: string | null;
  distanceKm: number;
}

const COLORS = {
  dead: 0xd83c3e,
  revived: 0x3ba55d,
  new: 0x5865f2,
  digest: 0x4b8bbe,
  board: 0xffd43b,
} as const;
const STATUS_EMOJI: Record<LivenessStatus, string> = {
  alive: "🟢",
  dormant: "🟡",
  dead: "🔴",
  unknown: "⚪",
};
const STATUS_ORDER: readonly LivenessStatus[] = ["alive", "dormant", "dead", "unknown"];
const noPings = () => ({ parse: [] });

// ---------- text safety ----------

/**
 * Cuts to at most `max` UTF-16 units (never more than Discord's code-point count), ending in "…".
 * Never splits a surrogate pair, nor leaves a lone escaping backslash that would eat the ellipsis.
 */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 0) return "";
  let cut = s.slice(0, max - 1);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  const backslashes = cut.length - cut.replace(/\\+$/, "").length;
  if (backslashes % 2 === 1) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** Control characters, and the invisible direction overrides that can make a name read backwards. */
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;

/** Mentions become inert text: "@everyone", "<@123>", "<@&123>", "<#123>" no longer ping or link. */
export function neutraliseMentions(s: string): string {
  return s.replace(/@/g, "@\u200b").replace(/<(?=[@#:a/t])/g, "<\u200b");
}

export function escapeMarkdown(s: string): string {
  return s.replace(/[\\*_~`|>[\]()#-]/g, (c) => `\\${c}`);
}

/** Text from the public wiki, made safe to show: no markdown tricks, no pings, no hidden characters. */
export function safeText(s: string, opts: { multiline?: boolean } = {}): string {
  let t = s.replace(INVISIBLE, "");
  t = opts.multiline ? t.replace(/\r\n?/g, "\n").replace(/\n{3,}/g, "\n\n") : t.replace(/\s+/g, " ");
  return escapeMarkdown(neutraliseMentions(t.trim()));
}

/** A usable http(s) address for a link, or null (a malformed URL would make Discord refuse the whole message). */
export function safeUrl(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return null;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return null;
  if (u.username || u.password) return null;
  const href = u.href.replace(/\(/g, "%28").replace(/\)/g, "%29");
  return href.length <= DISCORD_LIMITS.url ? href : null;
}

const MAX_LINK_HREF = 400;

/** "[example.org/path](https://example.org/path)", or the escaped text when it isn't a usable address. */
export function linkTo(raw: string, label?: string): string {
  const href = safeUrl(raw);
  const shown = label ?? (href ?? raw).replace(/^https?:\/\//, "").replace(/\/$/, "");
  const text = clip(safeText(shown), 200);
  if (!href) return label ? text : `${text} (not a valid web address)`;
  // Very long addresses would crowd out everything else: show the text only.
  return href.length <= MAX_LINK_HREF ? `[${text}](${href})` : text;
}

const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const validIso = (iso: string | null | undefined): iso is string => !!iso && !Number.isNaN(Date.parse(iso));

/** "<t:1793491200:R> (2026-11-01)": relative in Discord, and a plain date where timestamps don't render. */
export function whenText(iso: string | null | undefined): string {
  if (!validIso(iso)) return "unknown";
  return `<t:${unix(iso)}:R> (${new Date(iso).toISOString().slice(0, 10)})`;
}

function placeText(g: AlertGroup): string {
  const parts = [g.city, g.region, g.country_name].filter((p): p is string => !!p?.trim());
  if (parts.length) return safeText(parts.join(", "));
  return g.continent ? safeText(g.continent) : "No place listed";
}

const km = (d: number) => (d < 10 ? `${d.toFixed(1)} km` : `${Math.round(d)} km`);

// ---------- limits ----------

const fieldsSize = (fields: readonly APIEmbedField[] | undefined) =>
  (fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);

/** The characters Discord counts towards the 6000 per message. */
export function embedSize(e: APIEmbed): number {
  return (
    (e.title?.length ?? 0) +
    (e.description?.length ?? 0) +
    fieldsSize(e.fields) +
    (e.footer?.text.length ?? 0) +
    (e.author?.name.length ?? 0)
  );
}

/** Brings one embed within every Discord limit, whatever the data; the least useful parts give way first. */
export function clampEmbed(embed: APIEmbed, budget: number = DISCORD_LIMITS.embedTotal): APIEmbed {
  const L = DISCORD_LIMITS;
  const out: APIEmbed = { ...embed };
  if (out.title !== undefined) out.title = clip(out.title, L.title);
  if (out.description !== undefined) out.description = clip(out.description, L.description);
  if (out.footer) out.footer = { ...out.footer, text: clip(out.footer.text, L.footer) };
  if (out.author) out.author = { ...out.author, name: clip(out.author.name, L.author) };
  if (out.url !== undefined && !safeUrl(out.url)) out.url = undefined;
  if (out.timestamp !== undefined && !validIso(out.timestamp)) out.timestamp = undefined;
  if (out.fields) {
    out.fields = out.fields.slice(0, L.fields).map((f) => ({
      ...f,
      name: clip(f.name.trim() || "\u200b", L.fieldName),
      value: clip(f.value.trim() || "\u200b", L.fieldValue),
    }));
  }

  const over = () => embedSize(out) - budget;
  const shrink = (s: string, floor: number) => clip(s, Math.max(floor, s.length - over()));
  if (over() > 0 && out.footer && out.footer.text.length > 200) {
    out.footer = { ...out.footer, text: shrink(out.footer.text, 200) };
  }
  if (over() > 0 && out.description && out.description.length > 500)
    out.description = shrink(out.description, 500);
  while (over() > 0 && out.fields && out.fields.length > 1) out.fields = out.fields.slice(0, -1);
  if (over() > 0 && out.fields?.length === 1) {
    const [f] = out.fields as [APIEmbedField];
    if (f.value.length > 100) out.fields = [{ ...f, value: shrink(f.value, 100) }];
    if (over() > 0) out.fields = [];
  }
  if (over() > 0 && out.description) out.description = shrink(out.description, 0);
  if (over() > 0 && out.footer) out.footer = { ...out.footer, text: shrink(out.footer.text, 0) };
  if (over() > 0 && out.author) out.author = { ...out.author, name: shrink(out.author.name, 1) };
  if (over() > 0 && out.title) out.title = shrink(out.title, 1);
  if (out.fields?.length === 0) out.fields = undefined;
  if (out.description === "") out.description = undefined;
  return JSON.parse(JSON.stringify(out)) as APIEmbed;
}

/** A whole message within Discord's limits, with pings turned off. */
export function clampMessage(msg: AlertMessage): AlertMessage {
  const out: AlertMessage = { ...msg, allowed_mentions: noPings() };
  if (typeof out.content === "string") out.content = clip(out.content, DISCORD_LIMITS.content);
  if (out.embeds) {
    const embeds: APIEmbed[] = [];
    let left: number = DISCORD_LIMITS.embedTotal;
    for (const e of out.embeds.slice(0, DISCORD_LIMITS.embeds)) {
      if (left <= 0) break;
      const c = clampEmbed(e, left);
      left -= embedSize(c);
      embeds.push(c);
    }
    out.embeds = embeds;
  }
  return out;
}

const message = (embed: APIEmbed): AlertMessage =>
  clampMessage({ embeds: [embed], allowed_mentions: noPings() });

/** Bullet lines that fit in one field value, ending in "…and N more" when they don't all fit. */
export function bulletList(lines: readonly string[], max: number = DISCORD_LIMITS.fieldValue): string {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = clip(`• ${lines[i]}`, 700);
    const after = lines.length - i - 1;
    const reserve = after > 0 ? `\n…and ${after} more`.length : 0;
    if (used + (out.length ? 1 : 0) + line.length + reserve > max) {
      out.push(`…and ${lines.length - i} more`);
      break;
    }
    used += (out.length ? 1 : 0) + line.length;
    out.push(line);
  }
  return out.join("\n");
}

// ---------- the messages ----------

const FOOTER = "Poick checks the groups listed on wiki.python.org/moin/LocalUserGroups";

export interface DeadAlertInput {
  group: AlertGroup;
  /** The reason in plain words (see liveness/reasons). */
  reasonText: string;
  evidence: { httpStatus: number | null; finalUrl: string | null; lastActivityAt: string | null };
  /** When the failures began. */
  since: string;
  nearestAlive: NearestAlive | null;
}

function nearestText(n: NearestAlive | null): string {
  if (!n) return "No other live group with a known location.";
  const where = n.city ? ` in ${safeText(n.city)}` : "";
  return `${linkTo(n.url, n.name)}${where}, ${km(n.distanceKm)} away`;
}

export function deadAlert(p: DeadAlertInput): AlertMessage {
  const g = p.group;
  const ev = p.evidence;
  const why = [safeText(p.reasonText)];
  why.push(
    ev.httpStatus !== null ? `The server answered HTTP ${ev.httpStatus}.` : "No HTTP answer from the server.",
  );
  if (ev.finalUrl && safeUrl(ev.finalUrl) !== safeUrl(g.url)) why.push(`Ended up at ${linkTo(ev.finalUrl)}`);
  why.push(
    validIso(ev.lastActivityAt)
      ? `Last event or post seen: ${whenText(ev.lastActivityAt)}`
      : "No recent event or post found.",
  );
  return message({
    title: `🔴 ${safeText(g.name)} looks dead`,
    url: safeUrl(g.url) ?? undefined,
    color: COLORS.dead,
    description: "Its website failed every check for a while, so the group may have stopped.",
    fields: [
      { name: "Where", value: placeText(g), inline: true },
      { name: "Failing since", value: whenText(p.since), inline: true },
      { name: "Why", value: why.join("\n") },
      { name: "Link", value: linkTo(g.url) },
      { name: "Nearest live group", value: nearestText(p.nearestAlive) },
    ],
    footer: { text: `${FOOTER}. A group is only called dead after repeated failures over time.` },
    timestamp: validIso(p.since) ? new Date(p.since).toISOString() : undefined,
  });
}

export interface RevivedAlertInput {
  group: AlertGroup;
  reasonText: string;
  /** When it was seen alive again. */
  since: string;
  /** When it had been marked dead, if known. */
  deadSince: string | null;
}

export function revivedAlert(p: RevivedAlertInput): AlertMessage {
  const g = p.group;
  const fields: APIEmbedField[] = [
    { name: "Where", value: placeText(g), inline: true },
    { name: "Back since", value: whenText(p.since), inline: true },
  ];
  if (validIso(p.deadSince))
    fields.push({ name: "Had looked dead since", value: whenText(p.deadSince), inline: true });
  fields.push({ name: "Link", value: linkTo(g.url) });
  return message({
    title: `🟢 ${safeText(g.name)} is alive again`,
    url: safeUrl(g.url) ?? undefined,
    color: COLORS.revived,
    description: safeText(p.reasonText),
    fields,
    footer: { text: FOOTER },
    timestamp: validIso(p.since) ? new Date(p.since).toISOString() : undefined,
  });
}

export interface NewGroupAlertInput {
  group: AlertGroup;
  /** When it first appeared on the wiki. */
  at: string;
  /** False for guilds that follow everything: "new group listed" rather than "near you". */
  nearYou?: boolean;
  /** Distance from the guild's chosen place, for "near" scopes. */
  distanceKm?: number | null;
}

export function newGroupAlert(p: NewGroupAlertInput): AlertMessage {
  const g = p.group;
  const lines = [`**${linkTo(g.url, g.name)}**`];
  if (g.description?.trim()) lines.push(clip(safeText(g.description, { multiline: true }), 1000));
  const fields: APIEmbedField[] = [{ name: "Where", value: placeText(g), inline: true }];
  if (typeof p.distanceKm === "number")
    fields.push({ name: "Distance", value: km(p.distanceKm), inline: true });
  fields.push({ name: "Link", value: linkTo(g.url) });
  return message({
    title: p.nearYou === false ? "🆕 New group listed" : "🆕 New group near you",
    url: safeUrl(g.url) ?? undefined,
    color: COLORS.new,
    description: lines.join("\n\n"),
    fields,
    footer: { text: `${FOOTER}. Its website hasn't been checked yet.` },
    timestamp: validIso(p.at) ? new Date(p.at).toISOString() : undefined,
  });
}

export type StatusCounts = Record<LivenessStatus, number>;

export interface ListedChange {
  name: string;
  url: string;
  place?: string | null;
}

export interface DigestChanges {
  dead: readonly ListedChange[];
  revived: readonly ListedChange[];
  added: readonly ListedChange[];
}

function countsLine(counts: StatusCounts): string {
  const total = STATUS_ORDER.reduce((n, s) => n + (counts[s] ?? 0), 0);
  const parts = STATUS_ORDER.map((s) => `${STATUS_EMOJI[s]} ${counts[s] ?? 0} ${s}`);
  return `${parts.join(" · ")}\n${total} groups listed in all.`;
}

const changeLine = (c: ListedChange) =>
  `${linkTo(c.url, c.name)}${c.place?.trim() ? ` (${safeText(c.place)})` : ""}`;

export function weeklyDigest(
  counts: StatusCounts,
  changes: DigestChanges,
  opts: { at?: string } = {},
): AlertMessage {
  const sections: [string, readonly ListedChange[]][] = [
    ["🔴 Looked dead", changes.dead],
    ["🟢 Came back", changes.revived],
    ["🆕 Newly listed", changes.added],
  ];
  const fields = sections
    .filter(([, list]) => list.length > 0)
    .map(([title, list]) => ({ name: `${title} (${list.length})`, value: bulletList(list.map(changeLine)) }));
  const quiet = fields.length === 0 ? "\n\nA quiet week: no group changed status." : "";
  return message({
    title: "📅 This week in Python user groups",
    color: COLORS.digest,
    description: `${countsLine(counts)}${quiet}`,
    fields,
    footer: { text: FOOTER },
    timestamp: validIso(opts.at) ? new Date(opts.at).toISOString() : undefined,
  });
}

export interface BoardGroup extends ListedChange {
  status: LivenessStatus;
  since?: string | null;
}

export function statusBoard(
  counts: StatusCounts,
  changedGroups: readonly BoardGroup[],
  updatedAt: string,
): AlertMessage {
  const lines = changedGroups.map(
    (g) =>
      `${STATUS_EMOJI[g.status] ?? "⚪"} ${changeLine(g)}${validIso(g.since) ? ` since <t:${unix(g.since)}:R>` : ""}`,
  );
  return message({
    title: "📋 Python user groups: status board",
    color: COLORS.board,
    description: countsLine(counts),
    fields: [{ name: "Recent changes", value: lines.length ? bulletList(lines) : "No changes lately." }],
    footer: { text: `${FOOTER}. Updated` },
    timestamp: validIso(updatedAt) ? new Date(updatedAt).toISOString() : undefined,
  });
}
