/** The one text toolkit: distances, times, truncation, and wiki text made safe for Discord. */
const MAX_URL = 2000;

/** "3 days ago", "in 2 weeks", "just now". */
export function relativeTime(iso: string | null | undefined, now: Date): string {
  if (!iso) return "never";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "never";
  const diff = t - now.getTime();
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [365 * 86_400_000, "year"],
    [30 * 86_400_000, "month"],
    [7 * 86_400_000, "week"],
    [86_400_000, "day"],
    [3_600_000, "hour"],
    [60_000, "minute"],
  ];
  for (const [ms, name] of units) {
    if (abs >= ms) {
      const n = Math.floor(abs / ms);
      const label = `${n} ${name}${n === 1 ? "" : "s"}`;
      return diff < 0 ? `${label} ago` : `in ${label}`;
    }
  }
  return "just now";
}

/**
 * The same text as one flat string. V8 keeps a string built piece by piece (`+=`, a global `replace` with
 * a function) as a tree of its pieces, ~30 bytes a piece; a cache that keeps such a string keeps the tree.
 * The renderer's label outlines were 80 MiB as trees and 8 MiB flat. JSON.parse makes a new, flat copy.
 */
export function flatString(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

export function formatKm(km: number): string {
  return km < 10 ? `${km.toFixed(1)} km` : `${Math.round(km)} km`;
}

export function percent(part: number, whole: number): string {
  if (whole === 0) return "0%";
  return `${((100 * part) / whole).toFixed(1)}%`;
}

/** A plain-text table with aligned columns (by code points, good enough for a terminal). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => [...(r[i] ?? "")].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c + " ".repeat(Math.max(0, (widths[i] ?? 0) - [...c].length)))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function placeLabel(g: {
  city: string | null;
  region: string | null;
  country_name: string | null;
}): string {
  return [g.city, g.region, g.country_name].filter(Boolean).join(", ") || "—";
}

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
  return href.length <= MAX_URL ? href : null;
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

export const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);
export const validIso = (iso: string | null | undefined): iso is string =>
  !!iso && !Number.isNaN(Date.parse(iso));

/** "<t:1793491200:R> (2026-11-01)": relative in Discord, and a plain date where timestamps don't render. */
export function whenText(iso: string | null | undefined): string {
  if (!validIso(iso)) return "unknown";
  return `<t:${unix(iso)}:R> (${new Date(iso).toISOString().slice(0, 10)})`;
}

/** A Discord timestamp: shown in each reader's own time zone and language. */
export const discordTime = (iso: string, style: "R" | "D" | "f" = "R") => `<t:${unix(iso)}:${style}>`;
