/**
 * What both wiki parsers reduce a page to: headings and list items in document order.
 * Turning that outline into groups happens here once, so the HTML and the raw markup
 * readings cannot drift apart.
 */
export type InlinePart =
  | { kind: "text"; text: string }
  /** `url` is null for links that can never be a group (anchors, mailto, interwiki, the page itself). */
  | {
      kind: "link";
      text: string;
      url: string | null;
      /** A link to another page of the same wiki (relative in the source). */
      wiki?: boolean;
    };

export type OutlineBlock =
  | { kind: "heading"; level: number; text: string }
  /** `depth` 0 is a top-level list item, 1 an item nested in it, and so on. */
  | {
      kind: "item";
      depth: number;
      parts: InlinePart[];
      /** First and last source line (1-based), when the reader knows them. */
      lines?: [number, number];
    };

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

export const NON_GEOGRAPHIC =
  /^((general\s+)?(community\s+)?resources|related(\s+(pages?|links|groups|lists|sites))?|see\s+also|external\s+links|other\s+(resources|lists|pages|links|directories|sites)|resources|references|notes?|links|categories|category|contents|table\s+of\s+contents|comments|discussion|feedback|footnotes|instructions|how\s+to\b.*|adding\s+.*)\s*:?$/i;

/** Countries the page subdivides into states or provinces: an h4 below them is a region, never a city. */
export const SUBDIVIDED =
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

/** Words that are never a place on their own, though they may start one ("The Hague", "New York"). */
const NOT_A_PLACE_ALONE = new Set(
  `the a an we you our in at on visit check join started located provides seeking new active see bringing
   january february march april may june july august september october november december monday tuesday
   wednesday thursday friday saturday sunday pm am tbd usa uk eu center centre central city county valley area
   region north south east west northern southern eastern western bay metro greater lake springs empire`
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * Answers already given, per mode: a listing asks about the same words ("Python", "Berlin", "User") over and
 * over, and a 100,000-group listing asks about a million phrases. Bounded: cleared when full.
 */
const placeAnswers = [new Map<string, boolean>(), new Map<string, boolean>()] as const;
const MAX_PLACE_ANSWERS = 50_000;

/** A short run of capitalised words with no group vocabulary: "Atlanta", "São Paulo", "St. Louis". */
export function looksLikePlace(s: string, opts: { alone?: boolean } = {}): boolean {
  const answers = placeAnswers[opts.alone === false ? 1 : 0];
  let answer = answers.get(s);
  if (answer === undefined) {
    if (answers.size >= MAX_PLACE_ANSWERS) answers.clear();
    answer = judgePlace(s, opts);
    answers.set(s, answer);
  }
  return answer;
}

function judgePlace(s: string, opts: { alone?: boolean }): boolean {
  const text = collapse(s);
  if (!text || text.length > 48) return false;
  if (/\d|https?:|@|www\.|[[\]{}|<>=\u0001\u0002]/iu.test(text)) return false;
  const words = text.split(" ");
  if (words.length > 5) return false;
  if (
    opts.alone !== false &&
    words.length === 1 &&
    NOT_A_PLACE_ALONE.has(text.toLowerCase().replace(/[.,]$/u, ""))
  )
    return false;
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

export interface Place {
  city: string;
  regionHint: string | null;
}

/** "Portland, ME" → Portland + ME; "London, Ontario" → London + Ontario; "Washington, D.C." stays whole. */
export function splitPlace(label: string): Place {
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
export function labelOfItem(text: string): string | null {
  const t = collapse(text).replace(/[\s:–—-]+$/u, "");
  if (!t || t.split(" ").length > 8 || /https?:|@/.test(t)) return null;
  return t;
}

export interface ItemReading {
  name: string;
  url: string;
  description: string | null;
  place: Place | null;
  /** The city was written before the link ("City: link"), the surest form. */
  placeFromPrefix: boolean;
}

export const textOf = (parts: readonly InlinePart[]): string => parts.map((p) => p.text).join("");

export function groupLinkIndex(parts: readonly InlinePart[]): number {
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

export function readItem(parts: readonly InlinePart[], inherited: string | null): ItemReading | null {
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
