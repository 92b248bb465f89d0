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
  folded: { title: string; headings: string; text: string; meta: string; all: string };
}

const INLINE_SCRIPT_CAP = 20_000;

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

export function readPage(html: string): Page {
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
  $("script, style, noscript, template, svg, head").remove();
  const text = collapse(visibleText($.root().toArray() as unknown as DomNode[]));
  const folded = {
    title: fold(title),
    headings: fold(headings.join(" · ")),
    text: fold(text),
    meta: fold(meta),
    all: "",
  };
  folded.all = [folded.title, folded.headings, folded.meta, folded.text].join(" · ");
  return { title, headings, text, meta, scriptSrcs, inlineScripts, bodyClass, folded };
}

/** The slice of a DOM node the text walk needs (cheerio's node types live in a package we don't depend on). */
interface DomNode {
  type: string;
  data?: string;
  children?: DomNode[];
}

/** Text nodes joined by spaces: cheerio's .text() runs "<h1>Head</h1><p>Text" together as "HeadText". */
function visibleText(nodes: DomNode[]): string {
  const parts: string[] = [];
  const walk = (list: DomNode[]) => {
    for (const node of list) {
      if (node.type === "text") parts.push(node.data ?? "");
      else if (node.children) walk(node.children);
    }
  };
  walk(nodes);
  return parts.join(" ");
}

interface Pattern {
  re: RegExp;
  label: string;
}

function hits(patterns: readonly Pattern[], haystack: string): string[] {
  return patterns.filter((p) => p.re.test(haystack)).map((p) => p.label);
}

const w = (words: string) => new RegExp(`(?<![\\p{L}\\p{N}])(?:${words})(?![\\p{L}\\p{N}])`, "u");

// ---------------------------------------------------------------- parked / for sale

export type ParkedKind = "parked" | "for_sale";
export interface ParkedSignal {
  kind: ParkedKind;
  matches: string[];
}

interface WeightedPattern extends Pattern {
  weight: number;
  sale?: boolean;
}

const STRONG = 3;

const PARKED_TEXT: readonly WeightedPattern[] = [
  { re: w("(this )?domain( name)? (is|has been|was) parked"), label: "domain is parked", weight: STRONG },
  { re: w("parked (free|for free|courtesy of|with|by)"), label: "parked free/with", weight: STRONG },
  { re: w("parked domain"), label: "parked domain", weight: 2 },
  { re: w("this domain is registered at"), label: "this domain is registered at", weight: STRONG },
  { re: w("(this domain|it) was recently registered"), label: "recently registered", weight: STRONG },
  {
    re: w("domain( name)? (may be|is|might be) (available )?for sale"),
    label: "for sale",
    weight: 3,
    sale: true,
  },
  {
    re: /[a-z0-9-]+\.[a-z]{2,}(\.[a-z]{2})? (may be |is )?(available )?for sale/,
    label: "<domain> is for sale",
    weight: STRONG,
    sale: true,
  },
  { re: w("(buy|purchase|acquire|get) this domain"), label: "buy this domain", weight: STRONG, sale: true },
  { re: w("(domain|domains) for sale"), label: "domain for sale", weight: 2, sale: true },
  {
    re: w("diese domain (steht zum verkauf|kaufen|ist zu verkaufen|ist verkauflich)"),
    label: "Diese Domain steht zum Verkauf",
    weight: STRONG,
    sale: true,
  },
  { re: w("domain steht zum verkauf"), label: "Domain steht zum Verkauf", weight: STRONG, sale: true },
  { re: w("(diese )?domain (ist|wurde) geparkt"), label: "Domain ist geparkt", weight: STRONG },
  {
    re: w("ce (nom de )?domaine est (a vendre|en vente|disponible a la vente)"),
    label: "Ce domaine est à vendre",
    weight: STRONG,
    sale: true,
  },
  { re: w("acheter ce (nom de )?domaine"), label: "acheter ce domaine", weight: STRONG, sale: true },
  { re: w("ce (nom de )?domaine est (parque|stationne)"), label: "ce domaine est parqué", weight: STRONG },
  {
    re: w("este dominio (esta|se encuentra) (a la venta|en venta)|este dominio se vende"),
    label: "Este dominio está a la venta",
    weight: STRONG,
    sale: true,
  },
  { re: w("comprar este dominio"), label: "comprar este dominio", weight: STRONG, sale: true },
  { re: w("este dominio esta a venda"), label: "Este domínio está à venda", weight: STRONG, sale: true },
  { re: w("questo dominio e in vendita"), label: "Questo dominio è in vendita", weight: STRONG, sale: true },
  { re: w("dit domein is te koop"), label: "Dit domein is te koop", weight: STRONG, sale: true },
  { re: w("ta domena jest na sprzedaz"), label: "Ta domena jest na sprzedaż", weight: STRONG, sale: true },
  { re: w("hugedomains"), label: "HugeDomains", weight: STRONG, sale: true },
  { re: w("parkingcrew"), label: "ParkingCrew", weight: STRONG },
  { re: w("sedo"), label: "Sedo", weight: 1 },
  { re: w("bodis"), label: "Bodis", weight: 1 },
  { re: w("above\\.com"), label: "Above.com", weight: 1 },
  { re: w("dan\\.com"), label: "Dan.com", weight: 1, sale: true },
  { re: w("afternic"), label: "Afternic", weight: 1, sale: true },
  { re: w("uniregistry"), label: "Uniregistry", weight: 1 },
  { re: w("namecheap|godaddy|porkbun|dynadot|epik"), label: "registrar name", weight: 1 },
  { re: w("related (searches|links)"), label: "related searches/links", weight: 1 },
  { re: w("sponsored (listings|links|results)"), label: "sponsored listings", weight: 2 },
  { re: w("make an offer"), label: "make an offer", weight: 1 },
  { re: w("interested in (this|the) domain"), label: "interested in this domain", weight: 2 },
];

/** Hosting placeholders: only trusted in the title or main heading, where they are the whole page. */
const PLACEHOLDER_HEAD: readonly WeightedPattern[] = [
  { re: w("account (has been )?suspended"), label: "account suspended", weight: STRONG },
  {
    re: w("welcome to nginx|apache2 (ubuntu|debian) default page|it works!?$"),
    label: "default server page",
    weight: STRONG,
  },
  { re: w("future home of (something quite cool|a new website)"), label: "future home of …", weight: STRONG },
];

const PARKED_SCRIPT: readonly WeightedPattern[] = [
  { re: /sedoparking/, label: "sedoparking script", weight: STRONG },
  { re: /window\.park\b/, label: "window.park", weight: STRONG },
  { re: /parking-lander/, label: "parking-lander", weight: STRONG },
  { re: /parkingcrew/, label: "parkingcrew script", weight: STRONG },
  { re: /parkedpages|parked-content/, label: "parkedpages", weight: STRONG },
  { re: /bodis\.com|bodiscdn/, label: "bodis script", weight: STRONG },
  { re: /above\.com/, label: "above.com script", weight: STRONG },
  { re: /afternic|dan\.com|hugedomains/, label: "domain marketplace script", weight: STRONG, sale: true },
  { re: /\/park\.js\b/, label: "park.js", weight: 2 },
];

/** Parked pages are short: ad-feed words only count as a whole on a page with little else. */
const PARKED_SHORT_PAGE = 1_500;

export function detectParked(page: Page): ParkedSignal | null {
  const scripts = `${page.scriptSrcs.join("\n").toLowerCase()}\n${page.inlineScripts}`;
  const found = [
    ...PARKED_TEXT.filter((p) => p.re.test(page.folded.all)),
    ...PLACEHOLDER_HEAD.filter((p) => p.re.test(page.folded.title) || p.re.test(page.folded.headings)),
    ...PARKED_SCRIPT.filter((p) => p.re.test(scripts)),
  ];
  const score = found.reduce((sum, p) => sum + p.weight, 0);
  const strong = found.some((p) => p.weight >= STRONG);
  if (!(strong || (score >= STRONG && page.folded.text.length < PARKED_SHORT_PAGE))) return null;
  return { kind: found.some((p) => p.sale) ? "for_sale" : "parked", matches: found.map((p) => p.label) };
}

// ---------------------------------------------------------------- spam takeover

export interface SpamSignal {
  matches: string[];
  inTitle: string[];
}

/** Unambiguous on their own (a Python group's page has no reason to say them). */
const SPAM_STRONG = [
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
];

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

const SPAM_STRONG_RE = SPAM_STRONG.map((t) => ({ term: t, re: w(t) }));
const SPAM_WEAK_RE = SPAM_WEAK.map((t) => ({ term: t, re: w(t) }));

/**
 * Density, not single words: a strong term in the title, two distinct strong terms, or a cluster of
 * three or more distinct terms used often. A page that still looks like a Python group is never spam.
 */
export function detectSpam(page: Page): SpamSignal | null {
  const head = `${page.folded.title} · ${page.folded.headings} · ${page.folded.meta}`;
  const all = page.folded.all;
  const inTitle = SPAM_STRONG_RE.filter((t) => t.re.test(head)).map((t) => t.term);
  const strong = SPAM_STRONG_RE.map((t) => ({ term: t.term, n: countOf(t.re, all) })).filter((t) => t.n > 0);
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
