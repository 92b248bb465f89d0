import * as cheerio from "cheerio";
import { getDomainWithoutSuffix } from "tldts";

/**
 * What a page says, read once and reduced to plain strings. The detectors below look at what
 * pages SAY (in a few languages) and how they behave, not at one vendor's markup.
 */
export interface Page {
  title: string;
  headings: string[];
  /** Visible text of the body, whitespace collapsed. */
  text: string;
  /** description / og:title / og:description / keywords, joined. */
  meta: string;
  scriptSrcs: string[];
  /** Inline script text, lower-cased and capped: parking pages configure themselves there. */
  inlineScripts: string;
  bodyClass: string;
  /** The document's declared language (`<html lang>`), lower-cased; "" when absent. */
  lang: string;
  /** Visible text that is not inside a link, whitespace collapsed (what the page says, not what it points to). */
  prose: string;
  /** Text shown to visitors without JavaScript. */
  noscript: string;
  /** Every link's href (capped): how much of the page points elsewhere. */
  links: string[];
  /** Where `<frame>`/`<iframe>` elements load from. */
  frames: string[];
  /** The target of a `<meta http-equiv="refresh">`, if any. */
  metaRefresh: string | null;
  forms: number;
  inputs: number;
  folded: { title: string; headings: string; text: string; meta: string; all: string; prose: string };
}

const INLINE_SCRIPT_CAP = 20_000;
const LINK_CAP = 500;

/** Lower-case, accents stripped, curly quotes straightened, whitespace collapsed. */
export function fold(s: string): string {
  return s
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[\u2018\u2019\u02bc\u00b4`]/g, "'")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

const collapse = (s: string) => s.replace(/\s+/g, " ").trim();

/** The last few pages read: one check reads its page up to four times (each verdict step, the dates). */
const recentPages = new Map<string, Page>();
const RECENT_PAGES = 4;

/**
 * Reads a page once: the same body asked for again (the next step of the same check) gets the same
 * frozen result instead of another parse, which was half of a scan's CPU and most of its garbage.
 */
export function readPage(html: string): Page {
  const known = recentPages.get(html);
  if (known) return known;
  const page = Object.freeze(parsePage(html));
  if (recentPages.size >= RECENT_PAGES) recentPages.delete(recentPages.keys().next().value as string);
  recentPages.set(html, page);
  return page;
}

function parsePage(html: string): Page {
  const $ = cheerio.load(html);
  const title = collapse($("title").first().text());
  const headings = $("h1")
    .map((_, el) => collapse($(el).text()))
    .get()
    .filter(Boolean);
  const meta = ["description", "og:title", "og:description", "keywords", "twitter:title"]
    .map((n) => $(`meta[name="${n}"], meta[property="${n}"]`).attr("content") ?? "")
    .filter(Boolean)
    .join(" · ");
  const scriptSrcs = $("script[src]")
    .map((_, el) => $(el).attr("src") ?? "")
    .get()
    .filter(Boolean);
  const inlineScripts = $("script:not([src])")
    .map((_, el) => $(el).text())
    .get()
    .join("\n")
    .slice(0, INLINE_SCRIPT_CAP)
    .toLowerCase();
  const bodyClass = $("body").attr("class") ?? "";
  const lang = ($("html").attr("lang") ?? "").trim().toLowerCase();
  const noscript = collapse($("noscript").text());
  const links = $("a[href]")
    .slice(0, LINK_CAP)
    .map((_, el) => ($(el).attr("href") ?? "").trim())
    .get()
    .filter((h) => h !== "" && !h.startsWith("#") && !/^(mailto|tel|javascript):/i.test(h));
  const frames = $("frame[src], iframe[src]")
    .map((_, el) => $(el).attr("src") ?? "")
    .get()
    .filter(Boolean);
  const refresh = $('meta[http-equiv="refresh" i]').attr("content") ?? "";
  const metaRefresh = /url\s*=\s*['"]?([^'"\s>]+)/i.exec(refresh)?.[1] ?? null;
  const forms = $("form").length;
  const inputs = $("input:not([type=hidden]), textarea").length;
  $("script, style, noscript, template, svg, head").remove();
  const { all, prose } = visibleText($.root().toArray() as unknown as DomNode[]);
  const text = collapse(all);
  const proseText = collapse(prose);
  const folded = {
    title: fold(title),
    headings: fold(headings.join(" · ")),
    text: fold(text),
    meta: fold(meta),
    all: "",
    prose: fold(proseText),
  };
  folded.all = [folded.title, folded.headings, folded.meta, folded.text].join(" · ");
  return {
    title,
    headings,
    text,
    meta,
    scriptSrcs,
    inlineScripts,
    bodyClass,
    lang,
    prose: proseText,
    noscript,
    links,
    frames,
    metaRefresh,
    forms,
    inputs,
    folded,
  };
}

/** The slice of a DOM node the text walk needs (cheerio's node types live in a package we don't depend on). */
interface DomNode {
  type: string;
  name?: string;
  data?: string;
  children?: DomNode[];
}

/**
 * Text nodes joined by spaces (cheerio's .text() runs "<h1>Head</h1><p>Text" together as
 * "HeadText"), once in full and once without link text: an ad feed is all links, a page is prose.
 */
function visibleText(nodes: DomNode[]): { all: string; prose: string } {
  const all: string[] = [];
  const prose: string[] = [];
  const walk = (list: DomNode[], inLink: boolean) => {
    for (const node of list) {
      if (node.type === "text") {
        all.push(node.data ?? "");
        if (!inLink) prose.push(node.data ?? "");
      } else if (node.children) walk(node.children, inLink || node.name === "a");
    }
  };
  walk(nodes, false);
  return { all: all.join(" "), prose: prose.join(" ") };
}

interface Pattern {
  re: RegExp;
  label: string;
}

function hits(patterns: readonly Pattern[], haystack: string): string[] {
  return patterns.filter((p) => p.re.test(haystack)).map((p) => p.label);
}

const w = (words: string) => new RegExp(`(?<![\\p{L}\\p{N}])(?:${words})(?![\\p{L}\\p{N}])`, "u");

// ---------------------------------------------------------------- known templates and providers

/**
 * What a takeover page may be. The lists below name known templates and providers; they add words
 * to a verdict but are not the gate: takeover.ts judges pages by what they are about and how they
 * are built, and still works with both lists empty (the corpus test runs it so).
 */
export type TakeoverKind =
  | "parked"
  | "for_sale"
  | "spam"
  | "hosting_default"
  | "domain_expired"
  | "account_suspended";

export interface ListPattern {
  re: RegExp;
  label: string;
  weight: number;
  kind: TakeoverKind;
  /** all: anywhere in the text; head: title or main heading only; script: script sources and inline scripts. */
  where: "all" | "head" | "script";
}

export interface SignalLists {
  /** Parking services, registrars, domain marketplaces, server and control-panel products, their scripts. */
  providers: readonly ListPattern[];
  /** Sentences known templates use ("this domain may be for sale", "account suspended"), many languages. */
  phrases: readonly ListPattern[];
}

const STRONG = 3;

const phrase = (
  words: string,
  label: string,
  kind: TakeoverKind,
  weight = STRONG,
  where: ListPattern["where"] = "all",
): ListPattern => ({ re: w(words), label, weight, kind, where });

const PHRASES: readonly ListPattern[] = [
  phrase("(this )?domain( name)? (is|has been|was) parked", "domain is parked", "parked"),
  phrase("parked (free|for free|courtesy of|with|by)", "parked free/with", "parked"),
  phrase("parked domain", "parked domain", "parked", 2),
  phrase("this domain is registered at", "this domain is registered at", "parked"),
  phrase("(this domain|it) was recently registered", "recently registered", "parked"),
  phrase("domain( name)? (may be|is|might be) (available )?for sale", "for sale", "for_sale"),
  {
    re: /[a-z0-9-]+\.[a-z]{2,}(\.[a-z]{2})? (may be |is )?(available )?for sale/,
    label: "<domain> is for sale",
    weight: STRONG,
    kind: "for_sale",
    where: "all",
  },
  phrase("(buy|purchase|acquire|get) this domain", "buy this domain", "for_sale"),
  phrase("(domain|domains) for sale", "domain for sale", "for_sale", 2),
  phrase(
    "diese domain (steht zum verkauf|kaufen|ist zu verkaufen|ist verkauflich)",
    "Diese Domain steht zum Verkauf",
    "for_sale",
  ),
  phrase("domain steht zum verkauf", "Domain steht zum Verkauf", "for_sale"),
  phrase("(diese )?domain (ist|wurde) geparkt", "Domain ist geparkt", "parked"),
  phrase(
    "ce (nom de )?domaine est (a vendre|en vente|disponible a la vente)",
    "Ce domaine est à vendre",
    "for_sale",
  ),
  phrase("acheter ce (nom de )?domaine", "acheter ce domaine", "for_sale"),
  phrase("ce (nom de )?domaine est (parque|stationne)", "ce domaine est parqué", "parked"),
  phrase(
    "este dominio (esta|se encuentra) (a la venta|en venta)|este dominio se vende",
    "Este dominio está a la venta",
    "for_sale",
  ),
  phrase("comprar este dominio", "comprar este dominio", "for_sale"),
  phrase("este dominio (esta|pode estar) a venda", "Este domínio está à venda", "for_sale"),
  phrase("questo dominio e in vendita", "Questo dominio è in vendita", "for_sale"),
  phrase("dit domein is te koop", "Dit domein is te koop", "for_sale"),
  phrase("ta domena jest na sprzedaz|domena na sprzedaz", "Domena na sprzedaż", "for_sale"),
  phrase("related (searches|links)", "related searches/links", "parked", 1),
  phrase("sponsored (listings|links|results)", "sponsored listings", "parked", 2),
  phrase("make an offer", "make an offer", "parked", 1),
  phrase("interested in (this|the) domain", "interested in this domain", "parked", 2),
  phrase("account (has been )?suspended", "account suspended", "account_suspended", STRONG, "head"),
  phrase(
    "this (account|site|website) has been suspended",
    "this site has been suspended",
    "account_suspended",
  ),
  phrase(
    "welcome to nginx|apache2 (ubuntu|debian) default page|it works!?$",
    "default server page",
    "hosting_default",
    STRONG,
    "head",
  ),
  phrase(
    "future home of (something quite cool|a new website)",
    "future home of …",
    "hosting_default",
    STRONG,
    "head",
  ),
  phrase(
    "(web server's|domain) default page|default web site page",
    "default page",
    "hosting_default",
    STRONG,
    "head",
  ),
  phrase("(this )?domain( name)? (has )?expired|domain expired", "domain expired", "domain_expired"),
  phrase("diese domain ist abgelaufen", "Diese Domain ist abgelaufen", "domain_expired"),
  phrase("ce nom de domaine a expire", "Ce nom de domaine a expiré", "domain_expired"),
  phrase("este dominio ha (caducado|expirado)", "Este dominio ha caducado", "domain_expired"),
  ...[
    "casino",
    "casinos",
    "slot gacor",
    "slot online",
    "slots online",
    "situs slot",
    "judi online",
    "judi slot",
    "judi bola",
    "togel",
    "sbobet",
    "sportsbook",
    "maxwin",
    "viagra",
    "cialis",
    "levitra",
    "tramadol",
    "online pharmacy",
    "canadian pharmacy",
    "escort",
    "escorts",
    "porn",
    "porno",
    "payday loan",
    "payday loans",
    "poker online",
    "online casino",
    "kasino",
    "apuestas",
    "scommesse",
    "paris sportifs",
    "sex cams",
    "onlyfans",
  ].map((t) => phrase(t, t, "spam")),
];

const provider = (words: string, label: string, kind: TakeoverKind, weight = 1): ListPattern => ({
  re: w(words),
  label,
  weight,
  kind,
  where: "all",
});
const script = (re: RegExp, label: string, kind: TakeoverKind = "parked"): ListPattern => ({
  re,
  label,
  weight: STRONG,
  kind,
  where: "script",
});

const PROVIDERS: readonly ListPattern[] = [
  provider("hugedomains", "HugeDomains", "for_sale", STRONG),
  provider("parkingcrew", "ParkingCrew", "parked", STRONG),
  provider("sedo", "Sedo", "parked"),
  provider("bodis", "Bodis", "parked"),
  provider("above\\.com", "Above.com", "parked"),
  provider("dan\\.com", "Dan.com", "for_sale"),
  provider("afternic", "Afternic", "for_sale"),
  provider("uniregistry", "Uniregistry", "parked"),
  provider("namecheap|godaddy|porkbun|dynadot|epik", "registrar name", "parked"),
  provider(
    "apache2?|nginx|lighttpd|litespeed|caddy|iis windows server|internet information services",
    "web server software",
    "hosting_default",
  ),
  provider("cpanel|plesk|directadmin|ispconfig|webmin", "hosting control panel", "hosting_default"),
  script(/sedoparking/, "sedoparking script"),
  script(/window\.park\b/, "window.park"),
  script(/parking-lander/, "parking-lander"),
  script(/parkingcrew/, "parkingcrew script"),
  script(/parkedpages|parked-content/, "parkedpages"),
  script(/bodis\.com|bodiscdn/, "bodis script"),
  script(/above\.com/, "above.com script"),
  script(/afternic|dan\.com|hugedomains/, "domain marketplace script", "for_sale"),
  { ...script(/\/park\.js\b/, "park.js"), weight: 2 },
  script(/adsbygoogle|googlesyndication|caf\.js|\/afs\/ads/, "ad-feed script"),
];

export const DEFAULT_SIGNAL_LISTS: SignalLists = Object.freeze({ providers: PROVIDERS, phrases: PHRASES });

export interface ListHit {
  label: string;
  weight: number;
  kind: TakeoverKind;
  /** The hit came from the provider list (else from the phrase list). */
  provider: boolean;
}

/** Which known templates and providers a page shows. */
export function listHits(page: Page, lists: SignalLists = DEFAULT_SIGNAL_LISTS): ListHit[] {
  const scripts = `${page.scriptSrcs.join("\n").toLowerCase()}\n${page.inlineScripts}`;
  const haystack = (p: ListPattern) =>
    p.where === "script"
      ? [scripts]
      : p.where === "head"
        ? [page.folded.title, page.folded.headings]
        : [page.folded.all];
  const out: ListHit[] = [];
  for (const [list, isProvider] of [
    [lists.phrases, false],
    [lists.providers, true],
  ] as const) {
    for (const p of list) {
      if (haystack(p).some((h) => p.re.test(h))) {
        out.push({ label: p.label, weight: p.weight, kind: p.kind, provider: isProvider });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- parked / for sale (by the lists)

export type ParkedKind = "parked" | "for_sale";
export interface ParkedSignal {
  kind: ParkedKind;
  matches: string[];
}

/** Parked pages are short: ad-feed words only count as a whole on a page with little else. */
const PARKED_SHORT_PAGE = 1_500;
const PARKING_KINDS = new Set<TakeoverKind>(["parked", "for_sale", "hosting_default", "account_suspended"]);

/** A parked or for-sale page as the lists know it (known phrases, providers and scripts). */
export function detectParked(page: Page, lists: SignalLists = DEFAULT_SIGNAL_LISTS): ParkedSignal | null {
  const found = listHits(page, lists).filter(
    (h) => PARKING_KINDS.has(h.kind) && !(h.kind === "hosting_default" && h.provider),
  );
  const score = found.reduce((sum, p) => sum + p.weight, 0);
  const strong = found.some((p) => p.weight >= STRONG);
  if (!(strong || (score >= STRONG && page.folded.text.length < PARKED_SHORT_PAGE))) return null;
  return {
    kind: found.some((p) => p.kind === "for_sale") ? "for_sale" : "parked",
    matches: found.map((p) => p.label),
  };
}

// ---------------------------------------------------------------- spam takeover (by the lists)

export interface SpamSignal {
  matches: string[];
  inTitle: string[];
}

/** Words a real page may use once ("a poker bot in Python", "talk slots"); only a cluster means spam. */
const SPAM_WEAK = [
  "poker",
  "betting",
  "gambling",
  "jackpot",
  "roulette",
  "baccarat",
  "blackjack",
  "judi",
  "taruhan",
  "gacor",
  "rtp",
  "bonus",
  "lottery",
  "loan",
  "loans",
  "pharmacy",
  "pills",
  "dating",
  "hookup",
  "xxx",
  "adult",
];

const countOf = (re: RegExp, s: string) => s.match(new RegExp(re.source, `${re.flags}g`))?.length ?? 0;

const SPAM_WEAK_RE = SPAM_WEAK.map((t) => ({ term: t, re: w(t) }));

/**
 * Density, not single words: a known spam term in the title, two distinct ones, or a cluster of
 * three or more distinct terms used often. A page that still looks like a Python group is never spam.
 */
export function detectSpam(page: Page, lists: SignalLists = DEFAULT_SIGNAL_LISTS): SpamSignal | null {
  const head = `${page.folded.title} · ${page.folded.headings} · ${page.folded.meta}`;
  const all = page.folded.all;
  const strongList = lists.phrases.filter((p) => p.kind === "spam");
  const inTitle = strongList.filter((t) => t.re.test(head)).map((t) => t.label);
  const strong = strongList.map((t) => ({ term: t.label, n: countOf(t.re, all) })).filter((t) => t.n > 0);
  const weak = SPAM_WEAK_RE.map((t) => ({ term: t.term, n: countOf(t.re, all) })).filter((t) => t.n > 0);
  const strongHits = strong.reduce((s, t) => s + t.n, 0);
  const allHits = strongHits + weak.reduce((s, t) => s + t.n, 0);
  const distinct = strong.length + weak.length;
  const spammy =
    inTitle.length > 0 ||
    (strong.length >= 2 && strongHits >= 4) ||
    (strong.length >= 1 && distinct >= 3 && allHits >= 6);
  if (!spammy || groupLikeness(page, {}).groupLike) return null;
  return { matches: [...strong, ...weak].map((t) => t.term), inTitle };
}

// ---------------------------------------------------------------- soft 404

export interface Soft404Signal {
  matches: string[];
}

const NOT_FOUND: readonly Pattern[] = [
  { re: w("404"), label: "404" },
  { re: w("(page|file|content|post|site) (was )?not found|not found"), label: "not found" },
  { re: w("(doesn't|does not|don't|do not|no longer) exists?"), label: "doesn't exist" },
  {
    re: w("(can't|cannot|couldn't|could not) (find|locate) (that|this|the|your) (page|content)"),
    label: "can't find the page",
  },
  { re: w("(seite|datei) (wurde )?nicht gefunden|nicht gefunden|existiert nicht"), label: "nicht gefunden" },
  { re: w("page (introuvable|non trouvee|inexistante)|introuvable"), label: "page introuvable" },
  { re: w("(pagina )?no (encontrada|encontrado|existe)"), label: "no encontrada" },
  { re: w("non (trovata|trovato|esiste)"), label: "non trovata" },
  { re: w("(pagina )?niet gevonden"), label: "niet gevonden" },
  { re: w("nao (encontrada|encontrado)"), label: "não encontrada" },
  { re: w("nie znaleziono|nie istnieje"), label: "nie znaleziono" },
  { re: w("(страница )?не найден[аo]?"), label: "не найдена" },
  { re: w("bulunamad[ıi]"), label: "bulunamadı" },
  // No word boundaries in Japanese, Chinese or Korean; written folded (voiced kana lose their marks).
  {
    re: new RegExp(fold("見つかりません|找不到|页面不存在|페이지를 찾을 수 없")),
    label: "page not found (CJK)",
  },
];

/** Only trusted in the title: these also begin ordinary sentences in headings. */
const NOT_FOUND_TITLE_ONLY: readonly Pattern[] = [
  { re: w("nothing (to see )?here|nothing (was )?found"), label: "nothing here" },
  { re: w("oops|whoops"), label: "oops" },
];

const SOFT_404_SHORT_PAGE = 2_000;

export function detectSoft404(page: Page): Soft404Signal | null {
  const matches = [
    ...hits(NOT_FOUND, `${page.folded.title} · ${page.folded.headings}`),
    ...hits(NOT_FOUND_TITLE_ONLY, page.folded.title),
  ];
  if (matches.length === 0) return null;
  const errorBody = /(^|\s)(error404|error-404|page-404|not-found|notfound)(\s|$)/i.test(page.bodyClass);
  if (page.folded.text.length >= SOFT_404_SHORT_PAGE && !errorBody) return null;
  return { matches: [...new Set(matches)] };
}

// ---------------------------------------------------------------- bot walls

export interface BotWallSignal {
  matches: string[];
}

const WALL_TITLE: readonly Pattern[] = [
  { re: w("just a moment"), label: "Just a moment…" },
  { re: w("attention required"), label: "Attention Required" },
  {
    re: w("access denied|access to this page has been denied|403 forbidden|forbidden"),
    label: "Access denied",
  },
  { re: w("ddos-guard|ddos protection"), label: "DDoS-Guard" },
  {
    re: w("checking (your|if the site connection is secure)|checking your browser"),
    label: "checking your browser",
  },
  {
    re: w("verify(ing)? (that )?you are (a )?human|are you a robot|human verification"),
    label: "human check",
  },
  { re: w("captcha"), label: "captcha" },
  {
    re: w("security check|one more step|pardon our interruption|request rejected|bot protection"),
    label: "security check",
  },
];

const WALL_BODY: readonly Pattern[] = [
  { re: /cf-browser-verification|cf_chl_|challenge-platform|cf-challenge/, label: "Cloudflare challenge" },
  { re: /_incapsula_resource|incapsula incident id/, label: "Incapsula" },
  { re: /ddos-guard/, label: "DDoS-Guard" },
  { re: /sucuri website firewall/, label: "Sucuri firewall" },
  { re: /captcha-delivery\.com|datadome/, label: "DataDome" },
  { re: /px-captcha|perimeterx/, label: "PerimeterX" },
  { re: /enable javascript and cookies to continue/, label: "enable JS and cookies" },
  { re: /you don't have permission to access .* on this server/, label: "permission denied" },
];

/** Captcha widgets also sit on genuine contact forms: only a short page made of one counts. */
const WALL_CAPTCHA_SCRIPT = /recaptcha|hcaptcha|turnstile|arkoselabs|funcaptcha/;
const WALL_SHORT_PAGE = 3_000;

export function detectBotWall(page: Page, headers: Record<string, string> = {}): BotWallSignal | null {
  const matches: string[] = [];
  const h = lowerKeys(headers);
  if (/challenge/.test(h["cf-mitigated"] ?? "")) matches.push("cf-mitigated header");
  if (/ddos-guard/i.test(h.server ?? "")) matches.push("DDoS-Guard server");
  if (h["x-datadome"] !== undefined) matches.push("DataDome header");
  const short = page.folded.text.length < WALL_SHORT_PAGE;
  if (short) {
    matches.push(...hits(WALL_TITLE, `${page.folded.title} · ${page.folded.headings}`));
    const haystack = `${page.folded.all}\n${page.scriptSrcs.join("\n").toLowerCase()}\n${page.inlineScripts}`;
    matches.push(...hits(WALL_BODY, haystack));
    const bare = page.folded.text.length < 300 && !groupLikeness(page, {}).groupLike;
    if (bare && WALL_CAPTCHA_SCRIPT.test(haystack)) matches.push("captcha page");
  }
  return matches.length ? { matches: [...new Set(matches)] } : null;
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

// ---------------------------------------------------------------- meetup.com

const MEETUP_RESERVED = new Set([
  "find",
  "topics",
  "cities",
  "login",
  "register",
  "apps",
  "lp",
  "pro",
  "help",
  "about",
  "blog",
  "media",
  "home",
  "members",
  "account",
  "create",
  "start",
  "terms",
  "privacy",
  "cookie_policy",
  "meetup_api",
  "api",
  "_next",
  "static",
  "notifications",
  "messages",
  "your-events",
  "search",
]);

export function isMeetupUrl(url: string | null): boolean {
  const host = hostOf(url);
  return host !== null && (host === "meetup.com" || host.endsWith(".meetup.com"));
}

/** "python-users-group-zurich" for https://www.meetup.com/de-DE/python-users-group-zurich/events/ */
export function meetupGroupSlug(url: string | null): string | null {
  if (!url || !isMeetupUrl(url)) return null;
  const segments = new URL(url).pathname.split("/").filter(Boolean);
  const first = /^[a-z]{2}(-[A-Za-z]{2})?$/.test(segments[0] ?? "") ? segments[1] : segments[0];
  if (!first || MEETUP_RESERVED.has(first.toLowerCase())) return null;
  try {
    return decodeURIComponent(first);
  } catch {
    return first;
  }
}

export interface MeetupGoneSignal {
  matches: string[];
}

const MEETUP_GONE_TEXT: readonly Pattern[] = [
  { re: w("this group is no longer (active|available)"), label: "This group is no longer active" },
  { re: w("group not found"), label: "Group not found" },
  { re: w("this group (has been|was) (removed|deleted|closed)"), label: "This group has been removed" },
  { re: w("diese gruppe ist nicht mehr (aktiv|verfugbar)"), label: "Diese Gruppe ist nicht mehr aktiv" },
  { re: w("ce groupe n'est plus (actif|disponible)"), label: "Ce groupe n'est plus actif" },
  { re: w("este grupo ya no (esta activo|esta disponible)"), label: "Este grupo ya no está activo" },
];

/** A Meetup group's address that lands on Meetup's home or search page, or a page saying the group is gone. */
export function detectMeetupGone(
  page: Page | null,
  groupUrl: string,
  finalUrl: string | null,
): MeetupGoneSignal | null {
  if (!meetupGroupSlug(groupUrl)) return null;
  const matches: string[] = [];
  if (finalUrl && isMeetupUrl(finalUrl) && !meetupGroupSlug(finalUrl)) {
    const u = new URL(finalUrl);
    const path = u.pathname.replace(/^\/[a-z]{2}(-[A-Za-z]{2})?(?=\/|$)/, "");
    if (path === "" || path === "/" || /^\/find(\/|$)/.test(path)) {
      matches.push(
        `redirected to ${u.pathname}${u.search.includes("_cookie-check") ? "?_cookie-check" : ""}`,
      );
    }
  }
  if (page) matches.push(...hits(MEETUP_GONE_TEXT, page.folded.all));
  return matches.length ? { matches } : null;
}

/** A live Meetup group page: a group address whose page names a group (JSON-LD, "| Meetup" title or a heading). */
export function isMeetupGroupPage(page: Page, url: string | null): boolean {
  if (!url || !meetupGroupSlug(url) || detectMeetupGone(page, url, url)) return false;
  const organization = /"@type"\s*:\s*"organization"/.test(page.inlineScripts);
  return organization || /\|\s*meetup$/.test(page.folded.title) || page.headings.length > 0;
}

// ---------------------------------------------------------------- does the page look like the group?

export interface GroupHints {
  groupName?: string | null;
  groupUrl?: string;
}

export interface GroupLikeness {
  groupLike: boolean;
  matches: string[];
}

const PYTHON = w("python|pythonistas?|pydata|pyladies|pycon|django");
const COMMUNITY = w(
  "user ?groups?|users ?groups?|usergroups?|meetups?|meet-ups?|community|communities|stammtisch|treffen|benutzergruppe|nutzergruppe|anwendergruppe|groupe( d'utilisateurs)?|communaute|comunidad|grupo( de usuarios)?|gruppo|comunita|gebruikersgroep|lightning talks?|hack ?nights?|coding dojo",
);
const GENERIC_LABELS = new Set(["python", "pythonusergroup", "meetup", "website", "homepage", "community"]);

const compact = (s: string) => fold(s).replace(/[^\p{L}\p{N}]/gu, "");

/**
 * Whether a page still reads as the Python group's own: it names the group (or its old domain's
 * name), or talks about Python in its title/heading and about meeting up.
 */
export function groupLikeness(page: Page, hints: GroupHints): GroupLikeness {
  const matches: string[] = [];
  const head = `${page.folded.title} · ${page.folded.headings}`;
  const name = hints.groupName ? fold(hints.groupName.replace(/\s*[([].*$/, "")) : "";
  if (name.length >= 4 && page.folded.all.includes(name))
    matches.push(`names the group "${hints.groupName}"`);
  const label = hints.groupUrl ? oldSiteLabel(hints.groupUrl) : null;
  if (label && compact(`${page.title} ${page.headings.join(" ")}`).includes(label)) {
    matches.push(`title names "${label}"`);
  }
  const community = COMMUNITY.test(page.folded.all);
  if (PYTHON.test(head) && community) matches.push("Python group in the title");
  else if (countOf(PYTHON, page.folded.text) >= 3 && community) matches.push("talks about a Python group");
  return { groupLike: matches.length > 0, matches };
}

function oldSiteLabel(groupUrl: string): string | null {
  const slug = meetupGroupSlug(groupUrl);
  const raw = slug ?? getDomainWithoutSuffix(groupUrl, { allowPrivateDomains: true }) ?? "";
  const label = compact(raw);
  return label.length >= 5 && !GENERIC_LABELS.has(label) ? label : null;
}

function hostOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
}
