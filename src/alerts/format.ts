import type { APIEmbed, APIEmbedField, RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import type { Status } from "../liveness/status.js";
import { STATUS_EMOJI, statusCounts, totalOf } from "../liveness/status.js";
import { bulletList, clampMessage } from "../text/discord-limits.js";
import { clip, formatKm, linkTo, safeText, safeUrl, unix, validIso, whenText } from "../text/toolkit.js";

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
const noPings = () => ({ parse: [] });

const message = (embed: APIEmbed): AlertMessage =>
  clampMessage({ embeds: [embed], allowed_mentions: noPings() });

function placeText(g: AlertGroup): string {
  const parts = [g.city, g.region, g.country_name].filter((p): p is string => !!p?.trim());
  if (parts.length) return safeText(parts.join(", "));
  return g.continent ? safeText(g.continent) : "No place listed";
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
  return `${linkTo(n.url, n.name)}${where}, ${formatKm(n.distanceKm)} away`;
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
    fields.push({ name: "Distance", value: formatKm(p.distanceKm), inline: true });
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

export type StatusCounts = Record<Status, number>;

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
  return `${statusCounts(counts, " · ")}\n${totalOf(counts)} groups listed in all.`;
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
  status: Status;
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
