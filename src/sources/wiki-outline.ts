import { normalizeUrl } from "./normalize-url.js";
import type { ListedGroup } from "./types.js";

/**
 * What both wiki parsers reduce a page to: headings and list items in document order.
 * Turning that outline into groups happens here once, so the HTML and the raw markup
 * readings cannot drift apart.
 */
export type InlinePart =
  | { kind: "text"; text: string }
  /** `url` is null for links that can never be a group (anchors, mailto, interwiki, the page itself). */
  | { kind: "link"; text: string; url: string | null };

export type OutlineBlock =
  | { kind: "heading"; level: number; text: string }
  /** `depth` 0 is a top-level list item, 1 an item nested in it, and so on. */
  | { kind: "item"; depth: number; parts: InlinePart[] };

/** Where wiki-internal links point when the page itself came from a file. */
export const DEFAULT_WIKI_PAGE_URL = "https://wiki.python.org/moin/LocalUserGroups";

export interface PageBase {
  origin: string;
  /** Path prefix of wiki pages, e.g. `/moin/`. */
  scriptRoot: string;
  /** Path of the listing page itself, e.g. `/moin/LocalUserGroups`. */
  pagePath: string;
  /** Page name as the wiki knows it, e.g. `LocalUserGroups`. */
  pageName: string;
  href: string;
}

export function pageBase(pageUrl: string): PageBase {
  let url: URL;
  try {
    url = new URL(pageUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:") url = new URL(DEFAULT_WIKI_PAGE_URL);
  } catch {
    url = new URL(DEFAULT_WIKI_PAGE_URL);
  }
  const path = url.pathname;
  const moin = /^(.*?\/moin\/)(.*)$/.exec(path);
  const scriptRoot = moin ? (moin[1] as string) : path.slice(0, path.lastIndexOf("/") + 1);
  const pageName = safeDecode(moin ? (moin[2] as string) : path.slice(path.lastIndexOf("/") + 1));
  return { origin: url.origin, scriptRoot, pagePath: path, pageName, href: url.href };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** True when `url` is the listing page itself (any query or fragment). */
export function isSelfLink(url: string, base: PageBase): boolean {
  try {
    const u = new URL(url);
    return u.origin === base.origin && u.pathname === base.pagePath;
  } catch {
    return false;
  }
}

export const collapse = (s: string): string => s.replace(/\s+/gu, " ").trim();

const NON_GEOGRAPHIC =
  /^(related(\s+(pages?|links|groups|lists|sites))?|see\s+also|external\s+links|other\s+(resources|lists|pages|links|directories|sites)|resources|references|notes?|links|categories|category|contents|table\s+of\s+contents|comments|discussion|feedback|footnotes|instructions|how\s+to\b.*|adding\s+.*)\s*:?$/i;

/** Countries the page subdivides into states or provinces: an h4 below them is a region, never a city. */
const SUBDIVIDED =
  /^(united\s+states(\s+of\s+america)?|usa|u\.\s?s\.(\s?a\.)?|us|canada|australia|india|brazil|brasil|mexico|méxico)$/i;

/** Words that mark a phrase as a group name or a remark rather than a place. */
const NOT_PLACE_WORDS = new Set(
  `python pythonistas py pydata pyladies django flask plone zope jupyter data science ai ml meetup meetups
   group groups user users club society association community communities chapter conference conf official
   mailing list forum website site page online virtual remote monthly weekly every meets meeting meetings
   inactive defunct discord slack telegram irc matrix google facebook twitter linkedin github organization
   organisation sig hackers hack coders developers devs programmers nationwide national statewide regional
   worldwide international workshop workshops talks events event dojo`
    .split(/\s+/)
    .filter(Boolean),
);

/** Lower-case words allowed inside a place name ("São José dos Campos", "Stratford upon Avon"). */
const PLACE_CONNECTORS = new Set(
  "de da do dos das del della di du des la le les los las am an im der den upon on sur en y e i of al el bei ob op aan"
    .split(" ")
    .filter(Boolean),
);

/** A short run of capitalised words with no group vocabulary: "Atlanta", "São Paulo", "St. Louis". */
export function looksLikePlace(s: string): boolean {
  const text = collapse(s);
  if (!text || text.length > 48) return false;
  if (/\d|https?:|@|www\.|[[\]{}|<>=\u0001\u0002]/iu.test(text)) return false;
  const words = text.split(" ");
  if (words.length > 5) return false;
  if (!/^\p{Lu}/u.test(words[0] as string)) return false;
  return words.every((raw) => {
    const word = raw.replace(/^['"(]+|['"),.]+$/gu, "");
    if (!word) return false;
    if (PLACE_CONNECTORS.has(word)) return true;
    if (!/^\p{Lu}/u.test(word)) return false;
    if (/^Py\p{Lu}/u.test(word) || /\.(py|org|com|net|io)$/i.test(word)) return false;
    return !NOT_PLACE_WORDS.has(word.toLowerCase().replace(/['’]s?$/u, ""));
  });
}

interface Place {
  city: string;
  regionHint: string | null;
}

/** "Portland, ME" → Portland + ME; "London, Ontario" → London + Ontario; "Washington, D.C." stays whole. */
function splitPlace(label: string): Place {
  const comma = label.lastIndexOf(",");
  if (comma > 0) {
    const city = label.slice(0, comma).trim();
    const tail = label.slice(comma + 1).trim();
    if (city && (/^\p{Lu}{2,3}$/u.test(tail) || looksLikePlace(tail))) return { city, regionHint: tail };
  }
  return { city: label, regionHint: null };
}

/** A prefix such as "Bath:" or "Cambridge -" names the city; so does a bare "Berlin". */
function labelFromPrefix(prefix: string): string | null {
  if (!prefix) return null;
  const sep = /^(.*?)\s*[:,\-–—]\s*$/u.exec(prefix);
  const label = sep ? collapse(sep[1] as string) : looksLikePlace(prefix) ? prefix : null;
  if (!label || /^\p{Ll}/u.test(label)) return null;
  if (label.split(" ").length > 8 || /https?:|@|\d{3,}/.test(label)) return null;
  return label;
}

/** The text a link-less item offers to the items nested under it, e.g. "Berlin:" over a list of groups. */
function labelOfItem(text: string): string | null {
  const t = collapse(text).replace(/[\s:–—-]+$/u, "");
  if (!t || t.split(" ").length > 8 || /https?:|@/.test(t)) return null;
  return t;
}

interface ItemReading {
  name: string;
  url: string;
  description: string | null;
  place: Place | null;
  /** The city was written before the link ("City: link"), the surest form. */
  placeFromPrefix: boolean;
}

const textOf = (parts: readonly InlinePart[]): string => parts.map((p) => p.text).join("");

function groupLinkIndex(parts: readonly InlinePart[]): number {
  const candidates: number[] = [];
  parts.forEach((p, i) => {
    if (p.kind === "link" && p.url) candidates.push(i);
  });
  const first = candidates[0];
  const second = candidates[1];
  if (first === undefined) return -1;
  if (second !== undefined) {
    // "[[Berlin]]: [[https://...|PUB]]": a linked city label (or a CamelCase word moin turned
    // into a link) followed by a colon; the group is the link after the colon.
    const before = textOf(parts.slice(0, second));
    const between = textOf(parts.slice(first + 1, second));
    if (/^\s*:\s*$/.test(between) && /^[^:]{1,60}:\s*$/.test(before)) return second;
  }
  return first;
}

/** Text with every possible group link fenced by \u0001…\u0002, so a later link is never read as a place. */
function fencedText(parts: readonly InlinePart[]): string {
  return parts.map((p) => (p.kind === "link" && p.url ? `\u0001${p.text}\u0002` : p.text)).join("");
}

const unfence = (s: string) => s.replace(/[\u0001\u0002]/gu, "");
const stripLeadingSeparator = (s: string) => s.replace(/^[-–—:,;]\s*/u, "");

function readItem(parts: readonly InlinePart[], inherited: string | null): ItemReading | null {
  const g = groupLinkIndex(parts);
  if (g < 0) return null;
  const link = parts[g] as Extract<InlinePart, { kind: "link" }>;
  const url = link.url as string;
  const name = collapse(link.text) || url;
  const prefix = collapse(textOf(parts.slice(0, g)));
  const suffix = collapse(fencedText(parts.slice(g + 1)));
  const description = collapse(unfence(stripLeadingSeparator(suffix))) || null;
  const reading = (place: Place | null, placeFromPrefix = false, desc = description): ItemReading => ({
    name,
    url,
    description: desc,
    place,
    placeFromPrefix,
  });

  const label = labelFromPrefix(prefix);
  if (label) return reading(splitPlace(label), true);
  if (inherited) return reading(splitPlace(inherited));

  const paren = /^\(([^()]+)\)\s*(.*)$/u.exec(suffix);
  if (paren) {
    const place = splitPlace(collapse(paren[1] as string));
    if (looksLikePlace(place.city)) {
      return reading(place, false, collapse(unfence(stripLeadingSeparator(paren[2] as string))) || null);
    }
  }
  const dash = /^[-–—]\s*(.+)$/u.exec(suffix);
  if (dash) {
    const place = placeInPhrase(leadingPhrase(dash[1] as string));
    if (place) return reading(place);
  }
  return reading(null);
}

/** The place-like start of "Atlanta, GA (monthly)": up to a bracket, semicolon, colon, dash or sentence end. */
function leadingPhrase(s: string): string {
  const stop = /\s*(?:[(;:\u0001]|\s[-–—]\s|(?<!\bSt)\.(?:\s|$))/u.exec(s);
  return (stop ? s.slice(0, stop.index) : s).trim();
}

function placeInPhrase(phrase: string): Place | null {
  if (!phrase) return null;
  const whole = splitPlace(phrase);
  if (whole.regionHint && looksLikePlace(whole.city)) return whole;
  if (looksLikePlace(phrase)) return { city: phrase, regionHint: null };
  const head = phrase.split(",")[0]?.trim() ?? "";
  return head && head !== phrase && looksLikePlace(head) ? { city: head, regionHint: null } : null;
}

interface Entry {
  continent: string | null;
  country: string | null;
  /** Headings below the country, outermost first. */
  subs: string[];
  /** Index of the innermost heading, so items of one section can be judged together. */
  section: number;
  reading: ItemReading;
}

/** Headings and list items → groups, following the continent / country / region path. */
export function groupsFromOutline(blocks: readonly OutlineBlock[]): ListedGroup[] {
  const levels = blocks.flatMap((b) => (b.kind === "heading" && b.level >= 2 ? [b.level] : []));
  if (levels.length === 0) return [];
  const top = Math.min(...levels);

  const entries: Entry[] = [];
  let path: (string | null)[] = [];
  let inGeography = false;
  let skipBelow: number | null = null;
  let section = -1;
  let labels: (string | null)[] = [];

  blocks.forEach((block, index) => {
    if (block.kind === "heading") {
      labels = [];
      if (skipBelow !== null && block.level > skipBelow) return;
      skipBelow = null;
      if (block.level < top) {
        inGeography = false;
        path = [];
        return;
      }
      const depth = block.level - top;
      path = path.slice(0, depth);
      while (path.length < depth) path.push(null);
      if (NON_GEOGRAPHIC.test(block.text)) {
        skipBelow = block.level;
        inGeography = false;
        return;
      }
      path.push(block.text || null);
      inGeography = true;
      section = index;
      return;
    }
    if (!inGeography) return;
    labels = labels.slice(0, block.depth);
    const inherited = labels.findLast((l) => l !== null) ?? null;
    const reading = readItem(block.parts, inherited);
    while (labels.length < block.depth) labels.push(null);
    labels.push(reading ? null : labelOfItem(textOf(block.parts)));
    if (!reading) return;
    entries.push({
      continent: path[0] ?? null,
      country: path[1] ?? null,
      subs: path.slice(2).filter((s): s is string => s !== null),
      section,
      reading,
    });
  });

  const regionSections = new Set<number>();
  for (const e of entries) {
    if (e.subs.length === 1 && (e.reading.placeFromPrefix || SUBDIVIDED.test(e.country ?? ""))) {
      regionSections.add(e.section);
    }
  }

  const seen = new Set<string>();
  const groups: ListedGroup[] = [];
  for (const e of entries) {
    const key = normalizeUrl(e.reading.url);
    if (seen.has(key)) continue;
    seen.add(key);
    groups.push(toGroup(e, regionSections.has(e.section)));
  }
  return groups;
}

function toGroup(e: Entry, singleSubIsRegion: boolean): ListedGroup {
  let regionHeading: string | null = null;
  let cityHeading: string | null = null;
  if (e.subs.length >= 2) {
    regionHeading = e.subs[0] as string;
    cityHeading = e.subs[e.subs.length - 1] as string;
  } else if (e.subs.length === 1) {
    if (singleSubIsRegion) regionHeading = e.subs[0] as string;
    else cityHeading = e.subs[0] as string;
  }
  const place = e.reading.place;
  const hint = place?.regionHint ?? null;
  const hintIsCountry = hint !== null && e.country !== null && hint.toLowerCase() === e.country.toLowerCase();
  return {
    name: e.reading.name,
    url: e.reading.url,
    continent: e.continent,
    country: e.country,
    region: regionHeading ?? (hintIsCountry ? null : hint),
    city: place?.city ?? cityHeading,
    description: e.reading.description,
  };
}
