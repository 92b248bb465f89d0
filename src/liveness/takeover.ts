import { getDomain } from "tldts";
import {
  DEFAULT_SIGNAL_LISTS,
  listHits,
  type Page,
  type SignalLists,
  type TakeoverKind,
} from "./content-signals.js";
import { type Topic, topicHits } from "./lexicon.js";

/**
 * The marks of a page someone else now owns, scored from features rather than known templates:
 * what the page is about (selling a domain, parking, gambling, a server's setup…, in many languages),
 * how it is built (a title that is just its domain, a feed of ad links, a price, an offer form, a
 * script-only shell that sends visitors elsewhere). Known phrases and providers add to the score and
 * to the words of the verdict. Each mark carries a plain-words reason, so a verdict can say why.
 */
export type MarkKind = TakeoverKind | "shell" | "commerce";

export interface TakeoverMarks {
  kind: MarkKind;
  score: number;
  /** Plain words, most telling first: "says it is for sale ('domain', 'price')", "a price: $2,499". */
  reasons: string[];
  /** Known templates and providers seen (extra evidence, never the gate). */
  known: string[];
  /** Share of links that leave the site, 0–1, or null without links. */
  externalLinkShare: number | null;
}

/** A kind counts once its score reaches this. */
export const MARK_THRESHOLD = 3;
/** Strong enough to outweigh a name seen only in the title or a script. */
export const STRONG_MARKS = 6;

const SHORT_PAGE = 1_500;
const AD_QUERY = /[?&](q|k|kw|w|query|keyword|search|term|subid\d?)=/i;
const PRICE =
  /(?:[$€£¥₽]|\b(?:usd|eur|gbp|mxn|tl|zl|zł)\b|r\$)\s?\d[\d.,\s]*\d|\d[\d.,\s]*\s?(?:[$€£¥₽円元]|\b(?:usd|eur|mxn|tl|zl|zł|руб|₽)(?![\p{L}]))/u;
const JS_REDIRECT =
  /(?:window\.|document\.|top\.|self\.)?location(?:\.href)?\s*=\s*["'`]|location\.(?:replace|assign)\s*\(|window\.open\s*\(/;

const hostOf = (url: string, base?: string): string | null => {
  try {
    return new URL(url, base).hostname.toLowerCase();
  } catch {
    return null;
  }
};

const siteOf = (host: string | null) =>
  host ? (getDomain(host, { allowPrivateDomains: true }) ?? host) : null;

const quote = (terms: string[], n = 3) =>
  terms
    .slice(0, n)
    .map((t) => `'${t.replace(/\*$/, "")}'`)
    .join(", ");

interface Features {
  textLength: number;
  proseLength: number;
  domainShown: boolean;
  links: number;
  externalShare: number | null;
  externalHosts: number;
  adLinks: number;
  price: string | null;
  offerForm: boolean;
  shellTarget: string | null;
  topics: Record<Topic, string[]>;
  head: Record<Topic, string[]>;
}

const TOPICS_USED: Topic[] = [
  "saleStrong",
  "sale",
  "domain",
  "parking",
  "ads",
  "expired",
  "suspended",
  "hosting",
  "site",
  "placeholder",
  "gambling",
  "pharma",
  "money",
  "adult",
  "seo",
];

function features(page: Page, pageUrl: string): Features {
  const own = hostOf(pageUrl);
  const ownSite = siteOf(own);
  let external = 0;
  let adLinks = 0;
  const hosts = new Set<string>();
  for (const href of page.links) {
    const host = hostOf(href, pageUrl);
    if (!host) continue;
    if (siteOf(host) !== ownSite) {
      external++;
      hosts.add(siteOf(host) as string);
    } else if (AD_QUERY.test(href)) adLinks++;
  }
  const all = `${page.folded.all}`;
  const head = `${page.folded.title} · ${page.folded.headings}`;
  const topics = {} as Record<Topic, string[]>;
  const headTopics = {} as Record<Topic, string[]>;
  for (const t of TOPICS_USED) {
    topics[t] = topicHits(t, all).terms;
    headTopics[t] = topics[t].length ? topicHits(t, head).terms : [];
  }
  const hostShown = (s: string) => /(?:^|\s)[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:\s|$|[!?:|·-])/.test(s);
  const domainShown =
    (own !== null && (head.includes(own.replace(/^www\./, "")) || hostShown(page.folded.title))) ||
    hostShown(page.folded.headings);
  const textLength = page.folded.text.length;
  const redirect =
    page.metaRefresh ??
    (JS_REDIRECT.test(page.inlineScripts) ? "elsewhere (by script)" : null) ??
    page.frames[0] ??
    null;
  const strippedText = own ? page.folded.text.replaceAll(own.replace(/^www\./, ""), "") : page.folded.text;
  const bare = strippedText.replace(/[^\p{L}\p{N}]/gu, "").length < 40;
  const targetHost = redirect && redirect !== "elsewhere (by script)" ? hostOf(redirect, pageUrl) : null;
  const leaves =
    redirect === "elsewhere (by script)" || (targetHost !== null && siteOf(targetHost) !== ownSite);
  const shellTarget =
    bare &&
    leaves &&
    (page.scriptSrcs.length > 0 || page.inlineScripts || page.frames.length || page.metaRefresh)
      ? (targetHost ?? redirect)
      : null;
  return {
    textLength,
    proseLength: page.folded.prose.length,
    domainShown,
    links: page.links.length,
    externalShare: page.links.length ? external / page.links.length : null,
    externalHosts: hosts.size,
    adLinks,
    price: PRICE.exec(page.folded.text)?.[0]?.trim() ?? null,
    offerForm: page.forms > 0 && page.inputs > 0,
    shellTarget,
    topics,
    head: headTopics,
  };
}

interface Candidate {
  kind: MarkKind;
  score: number;
  reasons: string[];
  /** For sale in so many words, or with a price. */
  explicit?: boolean;
}

/** Scores every kind of takeover the page may show and returns the strongest, or null when none reaches the threshold. */
export function takeoverMarks(
  page: Page,
  pageUrl: string,
  lists: SignalLists = DEFAULT_SIGNAL_LISTS,
): TakeoverMarks | null {
  const f = features(page, pageUrl);
  const t = f.topics;
  const short = f.textLength < SHORT_PAGE;
  const candidates: Candidate[] = [];
  const add = (kind: MarkKind, score: number, reasons: (string | false | null)[]) => {
    if (score > 0) candidates.push({ kind, score, reasons: reasons.filter((r): r is string => !!r) });
  };
  const domainTitle = f.domainShown ? "its title is just a domain name" : null;
  const linkShare =
    f.externalShare !== null && f.links >= 4 && f.externalShare >= 0.6
      ? `${Math.round(f.externalShare * 100)}% of links go elsewhere`
      : null;

  if (f.shellTarget) {
    add("shell", 5, [`an empty page that only sends visitors to ${f.shellTarget}`]);
  }

  const domainWord = t.domain.length > 0 || f.domainShown;
  if ((t.saleStrong.length || t.sale.length) && domainWord) {
    const score =
      3 * Math.min(t.saleStrong.length, 1) +
      Math.min(t.sale.length, 3) +
      (f.price ? 2 : 0) +
      (t.domain.length ? 1 : 0) +
      (f.domainShown ? 1 : 0) +
      (f.offerForm ? 1 : 0) -
      (short ? 0 : 3);
    add("for_sale", score, [
      `offers the domain for sale (${quote([...t.saleStrong, ...t.sale, ...t.domain])})`,
      f.price && `a price: ${f.price}`,
      f.offerForm && "an offer form",
      domainTitle,
    ]);
    const sale = candidates.at(-1);
    if (sale?.kind === "for_sale") sale.explicit = t.saleStrong.length > 0 || f.price !== null;
  }

  const adFeed = f.adLinks >= 3 && f.adLinks >= f.links / 2;
  if (t.parking.length || t.ads.length || adFeed) {
    const score =
      (t.parking.length ? 3 : 0) +
      (t.ads.length ? 2 : 0) +
      (adFeed ? 2 : 0) +
      (f.domainShown ? 1 : 0) +
      (short ? 1 : -3);
    add("parked", score, [
      t.parking.length > 0 && `says it is parked (${quote(t.parking)})`,
      t.ads.length > 0 && `shows ads (${quote(t.ads)})`,
      adFeed && `${f.adLinks} of its ${f.links} links are ad searches`,
      domainTitle,
    ]);
  }

  const siteWord = t.site.length > 0 || t.hosting.length > 0 || t.domain.length > 0;
  if (t.expired.length && siteWord) {
    add("domain_expired", 3 + Math.min(t.expired.length, 2) + (short ? 0 : -3), [
      `says the domain or hosting expired (${quote(t.expired)})`,
    ]);
  }
  if (t.suspended.length && siteWord) {
    add("account_suspended", 3 + Math.min(t.suspended.length, 2) + (short ? 0 : -3), [
      `says the site or account is suspended (${quote(t.suspended)})`,
    ]);
  }

  const hosting = t.hosting.length + (t.placeholder.length ? 2 : 0) + (f.head.hosting.length ? 1 : 0);
  if (hosting >= 2 && f.textLength < 2_500) {
    add("hosting_default", 1 + hosting + (f.proseLength < 600 ? 1 : 0), [
      t.hosting.length > 0 && `a web host's default page (${quote(t.hosting)})`,
      t.placeholder.length > 0 && `a placeholder (${quote(t.placeholder)})`,
    ]);
  }

  for (const [topic, what] of [
    ["gambling", "gambling"],
    ["pharma", "pills without prescription"],
    ["money", "get-rich-quick money"],
    ["adult", "dating or adult content"],
    ["seo", "bought links and SEO"],
  ] as const) {
    const terms = t[topic];
    if (terms.length === 0) continue;
    const score = Math.min(terms.length, 4) + (f.head[topic].length ? 2 : 0);
    add("spam", score, [`is about ${what} (${quote(terms)})`, linkShare]);
  }
  if (f.externalHosts >= 8 && (f.externalShare ?? 0) >= 0.6 && f.proseLength < f.textLength / 2) {
    add("spam", 3, [`a link farm: ${f.externalHosts} other sites linked, ${linkShare ?? "mostly links"}`]);
  }

  if (f.price && (t.sale.length || t.saleStrong.length) && f.offerForm) {
    add("commerce", 3, [`sells something (${quote([...t.saleStrong, ...t.sale])}, ${f.price})`]);
  }

  const known = listHits(page, lists);
  for (const hit of known) {
    const c = candidates.find((x) => x.kind === hit.kind);
    if (c) c.score += hit.weight;
    else candidates.push({ kind: hit.kind, score: hit.weight, reasons: [] });
  }

  const best = pickBest(candidates);
  if (!best || best.score < MARK_THRESHOLD) return null;
  const knownWords = known.map((k) => (k.provider ? `provider: ${k.label}` : `known template: '${k.label}'`));
  const reasons = [...best.reasons];
  if (linkShare && !reasons.includes(linkShare)) reasons.push(linkShare);
  if (reasons.length === 0) reasons.push(...knownWords.slice(0, 2));
  return {
    kind: best.kind,
    score: best.score,
    reasons,
    known: [...new Set(known.map((k) => k.label))],
    externalLinkShare: f.externalShare === null ? null : Math.round(f.externalShare * 100) / 100,
  };
}

/** Ties go to the more specific kind: an expiry notice that also shows ads is expired, not parked. */
const ORDER: MarkKind[] = [
  "shell",
  "domain_expired",
  "account_suspended",
  "for_sale",
  "parked",
  "hosting_default",
  "spam",
  "commerce",
];

function pickBest(candidates: Candidate[]): Candidate | null {
  const merged = new Map<MarkKind, Candidate>();
  for (const c of candidates) {
    const prev = merged.get(c.kind);
    if (!prev || c.score > prev.score) merged.set(c.kind, c);
  }
  const list = [...merged.values()];
  // A page that says it is for sale is for sale, whatever ads surround it.
  const sale = merged.get("for_sale");
  if (sale?.explicit && sale.score >= MARK_THRESHOLD) {
    const parked = merged.get("parked");
    if (parked && parked.score >= sale.score) sale.score = parked.score + 1;
  }
  list.sort((a, b) => b.score - a.score || ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  return list[0] ?? null;
}
