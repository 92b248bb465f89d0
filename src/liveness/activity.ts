import * as cheerio from "cheerio";
import * as chrono from "chrono-node";
import { fold, meetupGroupSlug, readPage } from "./content-signals.js";
import { topicHits } from "./lexicon.js";

/** Dated signs of life found on a page or in a feed. */
export interface ActivityEvidence {
  /** Newest dated thing at or before now. */
  lastActivityAt: Date | null;
  /** Earliest dated thing after now. */
  nextEventAt: Date | null;
  /** Absolute URLs of iCal / RSS / Atom feeds worth fetching next. */
  feeds: string[];
  /** Where the dates came from: "json-ld", "ical", "rss", "atom", "time", "text". */
  sources: string[];
  /** The page says the group stopped or paused ("on hiatus"): the words it used. */
  paused?: string | null;
}

export interface ActivityInput {
  body: string;
  contentType: string | null;
  url: string;
  now: Date;
}

export interface Dated {
  at: number;
  source: string;
}

const EARLIEST = Date.UTC(1995, 0, 1);
const MAX_AHEAD_MS = 3 * 365.25 * 86_400_000;

/**
 * Reads structured dates (schema.org events, calendars, feed items, `<time datetime>`) and dates
 * written near words about meeting up; never a year in a footer or a Last-Modified header, which
 * say nothing about the group.
 */
export function extractActivity(input: ActivityInput): ActivityEvidence {
  const kind = bodyKind(input.body, input.contentType);
  const now = input.now.getTime();
  let dated: Dated[] = [];
  let feeds: string[] = [];
  let paused: string | null = null;
  if (kind === "ical") dated = icalDates(input.body, now);
  else if (kind === "feed") dated = feedDates(input.body);
  else {
    const $ = cheerio.load(input.body);
    dated = [...jsonLdDates($), ...timeElementDates($)];
    feeds = feedLinks($, input.url);
    const page = readPage(input.body);
    dated.push(...textDates(page.text, page.lang, input.now));
    paused = topicHits("hiatus", fold(page.text)).terms[0]?.replace(/\s*\(.*?\)\??\s*/g, " ") ?? null;
  }
  const sane = dated.filter((d) => d.at >= EARLIEST && d.at <= now + MAX_AHEAD_MS);
  const past = sane.filter((d) => d.at <= now).map((d) => d.at);
  const future = sane.filter((d) => d.at > now).map((d) => d.at);
  return {
    lastActivityAt: past.length ? new Date(Math.max(...past)) : null,
    nextEventAt: future.length ? new Date(Math.min(...future)) : null,
    feeds,
    sources: [...new Set(sane.map((d) => d.source))],
    ...(paused ? { paused } : {}),
  };
}

/** Words that put a date in a sentence about the group meeting, several languages. */
const NEAR_MEETING =
  /next meetup|meet-?ups?|meetings?|events?|talks?|workshops?|get-together|treffen|stammtisch|veranstaltung|vortr[aä]g|spotkani[ea]|reuni[oó]n|quedada|eventos?|charlas?|encontros?|rencontres?|réunion|événement|incontr[oi]|bijeenkomst|勉強会|イベント|開催|встреч|митап|мероприяти|活动|聚会|聚會|buluşma|etkinli|모임|세미나|nächste|prochaine|próxim|następne|следующ|次回|下次|volgende|prossimo/giu;
/** Footers: "© 2019–2026 PyFoo" and "Copyright 2026" are not activity. */
const FOOTER_NOTE = /(©|\(c\)|copyright|all rights reserved|alle rechte|tous droits)[^.\n]{0,60}/giu;
const WINDOW_BEFORE = 60;
const WINDOW_AFTER = 200;
const MAX_WINDOWS = 12;

type ChronoParser = { parse: typeof chrono.parse };
const PARSERS: Record<string, ChronoParser> = {
  de: chrono.de,
  fr: chrono.fr,
  ja: chrono.ja,
  pt: chrono.pt,
  nl: chrono.nl,
  zh: chrono.zh,
  ru: chrono.ru,
  es: chrono.es,
  uk: chrono.uk,
  it: chrono.it,
  sv: chrono.sv,
};

/** chrono-node's parsers for the page's language (and English, which many pages mix in). */
function parsersFor(lang: string, text: string): ChronoParser[] {
  const out: ChronoParser[] = [chrono.strict];
  const code = lang.slice(0, 2);
  const own = PARSERS[code];
  if (own) out.push(own);
  else if (!code) {
    if (/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(text)) out.push(chrono.ja, chrono.zh);
    if (/\p{Script=Cyrillic}/u.test(text)) out.push(chrono.ru);
  }
  return out;
}

/**
 * Dates written in plain text near words like "next meetup" or "Treffen": "Thursday 10 December
 * 2026", "12 декабря 2026", "2026年12月5日". chrono-node reads them in many languages far better
 * than a regex would; only dates with a stated year and month count (a bare "Thursday" is a guess).
 */
export function textDates(text: string, lang: string, now: Date): Dated[] {
  const clean = text.replace(FOOTER_NOTE, " ");
  const windows: [number, number][] = [];
  for (const m of clean.matchAll(NEAR_MEETING)) {
    const start = Math.max(0, (m.index ?? 0) - WINDOW_BEFORE);
    const end = Math.min(clean.length, (m.index ?? 0) + WINDOW_AFTER);
    const last = windows.at(-1);
    if (last && start <= last[1]) last[1] = end;
    else if (windows.length < MAX_WINDOWS) windows.push([start, end]);
    else break;
  }
  if (windows.length === 0) return [];
  const parsers = parsersFor(lang, clean);
  const out: Dated[] = [];
  for (const [a, b] of windows) {
    const chunk = clean.slice(a, b);
    for (const parser of parsers) {
      for (const r of parser.parse(chunk, { instant: now, timezone: 0 })) {
        if (!r.start.isCertain("year") || !r.start.isCertain("month")) continue;
        out.push({ at: r.start.date().getTime(), source: "text" });
      }
    }
  }
  return out;
}

/** Page evidence and feed evidence together: newest past, earliest future, all feeds and sources. */
export function mergeActivity(...items: (ActivityEvidence | null | undefined)[]): ActivityEvidence {
  const present = items.filter((a): a is ActivityEvidence => a != null);
  const times = (pick: (a: ActivityEvidence) => Date | null) =>
    present.map(pick).flatMap((d) => (d ? [d.getTime()] : []));
  const last = times((a) => a.lastActivityAt);
  const next = times((a) => a.nextEventAt);
  return {
    lastActivityAt: last.length ? new Date(Math.max(...last)) : null,
    nextEventAt: next.length ? new Date(Math.min(...next)) : null,
    feeds: [...new Set(present.flatMap((a) => a.feeds))],
    sources: [...new Set(present.flatMap((a) => a.sources))],
    ...(present.some((a) => a.paused) ? { paused: present.find((a) => a.paused)?.paused ?? null } : {}),
  };
}

type BodyKind = "ical" | "feed" | "html";

function bodyKind(body: string, contentType: string | null): BodyKind {
  const ct = (contentType ?? "").toLowerCase();
  const head = body.slice(0, 512).trimStart();
  if (ct.includes("text/calendar") || /^BEGIN:VCALENDAR/i.test(head)) return "ical";
  if (/rss|atom/.test(ct) || /^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<(rss|feed|rdf:RDF)\b/i.test(head)) {
    return "feed";
  }
  return "html";
}

// ---------------------------------------------------------------- dates

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T\s](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** ISO-8601 date or date-time; without an offset it is read as UTC (off by hours at most). */
export function parseIsoDate(value: string): Date | null {
  const m = ISO.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", zone] = m;
  const local = utcFromFields(+y!, +mo!, +d!, +h, +mi, +s);
  if (local === null) return null;
  return new Date(local - zoneOffsetMs(zone));
}

function zoneOffsetMs(zone: string | undefined): number {
  if (!zone || zone.toUpperCase() === "Z") return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (!m) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return (m[1] === "-" ? -1 : 1) * minutes * 60_000;
}

/** Date.UTC for valid calendar fields only (no silent rollover of 31 February). */
function utcFromFields(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number | null {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || s > 60) return null;
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  return new Date(t).getUTCDate() === d || h === 24 ? t : null;
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat | null>();

function zoneFormatter(timeZone: string): Intl.DateTimeFormat | null {
  if (!zoneFormatters.has(timeZone)) {
    let f: Intl.DateTimeFormat | null = null;
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch {
      f = null;
    }
    zoneFormatters.set(timeZone, f);
  }
  return zoneFormatters.get(timeZone) ?? null;
}

/** How far the zone's wall clock is ahead of UTC at instant t. */
function zoneOffsetAt(f: Intl.DateTimeFormat, t: number): number {
  const parts = Object.fromEntries(f.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return wall - Math.floor(t / 1000) * 1000;
}

/** The UTC instant of a wall-clock time in an IANA zone, or null if the zone is unknown. */
export function zonedTimeToUtc(wallAsUtc: number, timeZone: string): number | null {
  const f = zoneFormatter(timeZone);
  if (!f) return null;
  const first = wallAsUtc - zoneOffsetAt(f, wallAsUtc);
  const second = wallAsUtc - zoneOffsetAt(f, first);
  return second;
}

// ---------------------------------------------------------------- HTML

const EVENT_TYPES = new Set(["Festival", "Hackathon", "CourseInstance"]);
const POST_TYPES = new Set([
  "Article",
  "BlogPosting",
  "NewsArticle",
  "SocialMediaPosting",
  "DiscussionForumPosting",
  "LiveBlogPosting",
]);

function typesOf(node: Record<string, unknown>): string[] {
  const t = node["@type"];
  const list = Array.isArray(t) ? t : [t];
  return list.filter((x): x is string => typeof x === "string").map((x) => x.replace(/^.*[/:#]/, ""));
}

const isEvent = (types: string[]) =>
  types.some((t) => (t.endsWith("Event") && t !== "DeliveryEvent") || EVENT_TYPES.has(t));

const stringsOf = (v: unknown): string[] =>
  (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string");

function jsonLdDates($: cheerio.CheerioAPI): Dated[] {
  const out: Dated[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (depth > 25 || node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    const obj = node as Record<string, unknown>;
    const types = typesOf(obj);
    const cancelled = stringsOf(obj.eventStatus).some((s) => /EventCancelled$/.test(s));
    if (isEvent(types) && !cancelled) {
      for (const s of stringsOf(obj.startDate)) pushDate(out, parseIsoDate(s), "json-ld");
    }
    if (types.some((t) => POST_TYPES.has(t))) {
      for (const s of stringsOf(obj.datePublished)) pushDate(out, parseIsoDate(s), "json-ld");
    }
    for (const value of Object.values(obj)) visit(value, depth + 1);
  };
  $('script[type="application/ld+json"]').each((_, el) => {
    const raw = $(el)
      .text()
      .replace(/^\s*(<!--|<!\[CDATA\[)/, "")
      .replace(/(-->|\]\]>)\s*$/, "");
    try {
      visit(JSON.parse(raw), 0);
    } catch {
      // Malformed JSON-LD is common and says nothing either way.
    }
  });
  return out;
}

function timeElementDates($: cheerio.CheerioAPI): Dated[] {
  const out: Dated[] = [];
  $("time[datetime]").each((_, el) => {
    pushDate(out, parseIsoDate($(el).attr("datetime") ?? ""), "time");
  });
  return out;
}

function pushDate(out: Dated[], d: Date | null, source: string): void {
  if (d && !Number.isNaN(d.getTime())) out.push({ at: d.getTime(), source });
}

const FEED_TYPE =
  /^(application\/(rss|atom|rdf)\+xml|text\/calendar|application\/(rss|atom)|text\/(rss|atom))/i;

function feedLinks($: cheerio.CheerioAPI, pageUrl: string): string[] {
  const base = resolve($("base[href]").attr("href") ?? "", pageUrl) ?? pageUrl;
  const found: string[] = [];
  $("link[href]").each((_, el) => {
    const type = $(el).attr("type") ?? "";
    const rel = ($(el).attr("rel") ?? "").toLowerCase();
    if (FEED_TYPE.test(type) && (rel === "" || rel.split(/\s+/).includes("alternate"))) {
      found.push($(el).attr("href") ?? "");
    }
  });
  $("a[href]").each((_, el) => {
    const href = $(el).attr("href") ?? "";
    const type = $(el).attr("type") ?? "";
    if (/^webcals?:/i.test(href) || /\.ics(\?|#|$)/i.test(href) || /\/ical\/?(\?|#|$)/i.test(href)) {
      found.push(href);
    } else if (FEED_TYPE.test(type)) found.push(href);
  });
  const linked = found.flatMap((href) => {
    const abs = resolve(href.trim().replace(/^webcals?:\/\//i, "https://"), base);
    return abs && abs !== pageUrl ? [abs] : [];
  });
  const slug = meetupGroupSlug(pageUrl);
  const derived = slug ? [`https://www.meetup.com/${encodeURIComponent(slug)}/events/ical/`] : [];
  // Calendars first: they hold upcoming events, which decide "alive" on their own.
  const calendarsFirst = [...linked].sort((a, b) => Number(!isCalendarUrl(a)) - Number(!isCalendarUrl(b)));
  return [...new Set([...derived, ...calendarsFirst])];
}

const isCalendarUrl = (url: string) => /\.ics(\?|$)|\/ical\/?(\?|$)|calendar/i.test(url);

function resolve(href: string, base: string): string | null {
  if (!href) return null;
  try {
    const u = new URL(href, base);
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    u.hash = "";
    return u.href;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- RSS / Atom

function feedDates(body: string): Dated[] {
  const $ = cheerio.load(body, { xml: true });
  const out: Dated[] = [];
  const isAtom = $("feed").length > 0;
  $("item").each((_, item) => {
    $(item)
      .children()
      .each((_, child) => {
        const name = ((child as { name?: string }).name ?? "").toLowerCase();
        if (name === "pubdate" || name === "dc:date" || name === "published" || name === "updated") {
          pushDate(out, parseFeedDate($(child).text()), "rss");
        }
      });
  });
  if (isAtom) {
    $("entry").each((_, entry) => {
      $(entry)
        .children("published, updated")
        .each((_, child) => {
          pushDate(out, parseFeedDate($(child).text()), "atom");
        });
    });
  }
  return out;
}

/** RFC 822 (RSS) or ISO-8601 (Atom, Dublin Core). */
function parseFeedDate(value: string): Date | null {
  const v = value.trim();
  const iso = parseIsoDate(v);
  if (iso) return iso;
  // Only RFC 822 with an explicit zone: Date.parse reads zone-less strings in the machine's zone.
  if (!/\d{1,2}\s+\w{3,}\s+\d{2,4}\s+\d{1,2}:\d{2}(:\d{2})?\s*([+-]\d{4}|[A-Z]{1,4})\s*$/i.test(v))
    return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t);
}

// ---------------------------------------------------------------- iCalendar

interface ContentLine {
  name: string;
  params: Record<string, string>;
  value: string;
}

/** RFC 5545 unfolding: a line break followed by a space or tab continues the previous line. */
export function unfoldIcal(text: string): string[] {
  return text.replace(/\r?\n[ \t]/g, "").split(/\r?\n/);
}

function parseContentLine(line: string): ContentLine | null {
  let i = 0;
  let quoted = false;
  for (; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === ":" && !quoted) break;
  }
  if (i >= line.length) return null;
  const [name = "", ...rawParams] = line.slice(0, i).split(";");
  const params: Record<string, string> = {};
  for (const p of rawParams) {
    const eq = p.indexOf("=");
    if (eq > 0) params[p.slice(0, eq).toUpperCase()] = p.slice(eq + 1).replace(/^"|"$/g, "");
  }
  return { name: name.toUpperCase(), params, value: line.slice(i + 1) };
}

/** TEXT values: `\,` `\;` `\\` and `\n` escapes. */
export function unescapeIcalText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === "n" || c === "N" ? "\n" : c));
}

/** DTSTART in any of its forms: UTC `Z`, `TZID=` local time, floating local time, or `VALUE=DATE`. */
export function parseIcalDate(value: string, params: Record<string, string> = {}): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z)?)?$/i.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", z] = m;
  const wall = utcFromFields(+y!, +mo!, +d!, +h, +mi, +s);
  if (wall === null) return null;
  if (z || !m[4] || !params.TZID) return new Date(wall);
  const tz = params.TZID;
  const utc =
    zonedTimeToUtc(wall, tz) ?? zonedTimeToUtc(wall, /[A-Za-z_]+\/[A-Za-z_+-]+$/.exec(tz)?.[0] ?? "");
  // An unknown zone name (Windows style, say) costs at most hours; the day is still right.
  return new Date(utc ?? wall);
}

interface IcalEvent {
  start: Date;
  rrule: string | null;
}

function icalEvents(text: string): IcalEvent[] {
  const events: IcalEvent[] = [];
  const stack: string[] = [];
  let start: Date | null = null;
  let rrule: string | null = null;
  let cancelled = false;
  for (const raw of unfoldIcal(text)) {
    const line = parseContentLine(raw);
    if (!line) continue;
    if (line.name === "BEGIN") {
      stack.push(line.value.toUpperCase());
      if (line.value.toUpperCase() === "VEVENT") {
        start = null;
        rrule = null;
        cancelled = false;
      }
    } else if (line.name === "END") {
      const ended = stack.pop();
      if (ended === "VEVENT" && start && !cancelled) events.push({ start, rrule });
    } else if (stack.at(-1) === "VEVENT") {
      if (line.name === "DTSTART") start = parseIcalDate(line.value, line.params);
      else if (line.name === "RRULE") rrule = line.value;
      else if (line.name === "STATUS") cancelled = line.value.trim().toUpperCase() === "CANCELLED";
    }
  }
  return events;
}

function icalDates(text: string, now: number): Dated[] {
  return icalEvents(text).flatMap((e) => {
    if (!e.rrule) return [{ at: e.start.getTime(), source: "ical" }];
    return recurrenceAround(e.start.getTime(), e.rrule, now).map((at) => ({ at, source: "ical" }));
  });
}

/**
 * The occurrences of a recurring event just before and just after now. Approximate on purpose:
 * steps FREQ × INTERVAL from DTSTART and honours COUNT and UNTIL, but ignores BYDAY and friends,
 * which move an occurrence by days at most. Good enough to tell "meets monthly" from "stopped in 2019".
 */
export function recurrenceAround(start: number, rrule: string, now: number): number[] {
  const rule = Object.fromEntries(
    rrule.split(";").map((part) => {
      const [k = "", v = ""] = part.split("=");
      return [k.toUpperCase(), v];
    }),
  );
  const interval = Math.max(1, Number.parseInt(rule.INTERVAL ?? "1", 10) || 1);
  const freq = (rule.FREQ ?? "").toUpperCase();
  const monthStep = freq === "MONTHLY" ? interval : freq === "YEARLY" ? 12 * interval : 0;
  const dayStep = freq === "WEEKLY" ? 7 * interval : freq === "DAILY" ? interval : 0;
  if (!monthStep && !dayStep) return [start];
  const count = rule.COUNT ? Number.parseInt(rule.COUNT, 10) : Number.POSITIVE_INFINITY;
  const until = rule.UNTIL
    ? (parseIcalDate(rule.UNTIL)?.getTime() ?? Number.POSITIVE_INFINITY)
    : Number.POSITIVE_INFINITY;
  const lastIndex = Number.isFinite(count) ? Math.max(0, count - 1) : Number.POSITIVE_INFINITY;

  const at = (k: number): number => {
    if (dayStep) return start + k * dayStep * 86_400_000;
    const d = new Date(start);
    d.setUTCMonth(d.getUTCMonth() + k * monthStep);
    return d.getTime();
  };
  // The newest occurrence at or before the end: now, or the series' own end if that came first.
  const end = Math.min(now, until);
  let k: number;
  if (dayStep) k = Math.floor((end - start) / (dayStep * 86_400_000));
  else {
    const s = new Date(start);
    const e = new Date(end);
    const months = (e.getUTCFullYear() - s.getUTCFullYear()) * 12 + e.getUTCMonth() - s.getUTCMonth();
    k = Math.floor(months / monthStep);
  }
  k = Math.max(-1, k);
  while (k >= 0 && at(k) > end) k--;
  while (at(k + 1) <= end) k++;
  k = Math.min(k, lastIndex);
  const out: number[] = [];
  if (k >= 0) out.push(at(k));
  const next = k + 1;
  if (next <= lastIndex && at(next) <= until && at(next) > now) out.push(at(next));
  return out;
}
