import { getDomain } from "tldts";
import type { ActivityEvidence } from "./activity.js";
import {
  detectBotWall,
  detectMeetupGone,
  detectSoft404,
  isMeetupGroupPage,
  meetupGroupSlug,
  type Page,
  readPage,
  type SignalLists,
} from "./content-signals.js";
import { findIdentity, type GroupIdentity, type IdentityFinding } from "./identity.js";
import type { ProbeErrorCode, ProbeResult } from "./probe-types.js";
import { REASONS, type ReasonCode } from "./reasons.js";
import type { Status } from "./status.js";
import { type MarkKind, STRONG_MARKS, takeoverMarks } from "./takeover.js";

export interface ClassifyInput {
  groupUrl: string;
  probe: ProbeResult;
  /** Dates from the page and its feeds, merged; null when nothing was read. */
  activity: ActivityEvidence | null;
  now: Date;
  dormantAfterDays: number;
  /** The group's listed name, when known: a site that moved domains is still the group if it names it. */
  groupName?: string | null;
  /** Who the page must belong to (name, listed address, the wiki page it came through); defaults to groupName + groupUrl. */
  group?: GroupIdentity;
  /** Known templates and providers (extra evidence); tests pass empty lists to show they are not the gate. */
  signals?: SignalLists;
}

export interface Verdict {
  status: Status;
  reason: ReasonCode;
  /** JSON-able facts behind the verdict: HTTP status, final URL, matched phrases, title, dates, error code. */
  evidence: Record<string, unknown>;
  lastActivityAt: string | null;
  nextEventAt: string | null;
}

type Evidence = Record<string, unknown>;

interface Finding {
  reason: ReasonCode;
  evidence: Evidence;
}

const DAY_MS = 86_400_000;

/**
 * Turns one probe (and the dates found) into a verdict. Never cry wolf: only a clear, server-side
 * sign makes a site "dead"; anything that might be our fault or a passing hiccup is "unknown".
 */
export function classify(input: ClassifyInput): Verdict {
  const evidence = probeEvidence(input.probe);
  const finding = judgeProbe(input) ?? judgeActivity(input);
  const all = { ...evidence, ...finding.evidence };
  if (REASONS[finding.reason].status === "unknown") return rescueByActivity(input, finding, all);
  return build(finding.reason, all, input, REASONS[finding.reason].status !== "dead");
}

/** A verdict that needs no page (the wiki link led nowhere): no dates, the reason's own words unless told. */
export function plainVerdict(reason: ReasonCode, evidence: Evidence = {}): Verdict {
  const why = typeof evidence.why === "string" ? evidence.why : REASONS[reason].text;
  return {
    status: REASONS[reason].status,
    reason,
    evidence: { ...evidence, why },
    lastActivityAt: null,
    nextEventAt: null,
  };
}

function build(reason: ReasonCode, evidence: Evidence, input: ClassifyInput, withDates: boolean): Verdict {
  const iso = (d: Date | null | undefined) => (withDates && d ? d.toISOString() : null);
  let why = typeof evidence.why === "string" ? evidence.why : REASONS[reason].text;
  const wiki = input.group?.viaWiki;
  if (wiki) why = `judged by the website the group's wiki page names (${hostOf(input.groupUrl)}): ${why}`;
  const viaWiki = wiki ? { viaWiki: wiki } : {};
  return {
    status: REASONS[reason].status,
    reason,
    evidence: { ...evidence, ...viaWiki, why },
    lastActivityAt: iso(input.activity?.lastActivityAt),
    nextEventAt: iso(input.activity?.nextEventAt),
  };
}

/**
 * The page itself told us nothing (a wall, a timeout), but its feeds did: an upcoming or recent
 * event is better evidence than an inconclusive page.
 */
function rescueByActivity(input: ClassifyInput, finding: Finding, evidence: Evidence): Verdict {
  const byDates = judgeActivity(input);
  if (byDates.reason === "upcoming_event" || byDates.reason === "recent_activity") {
    return build(
      byDates.reason,
      { ...evidence, ...byDates.evidence, pageProblem: finding.reason },
      input,
      true,
    );
  }
  return build(finding.reason, evidence, input, false);
}

function probeEvidence(probe: ProbeResult): Evidence {
  const ev: Evidence = { httpStatus: probe.status, finalUrl: probe.finalUrl, attempts: probe.attempts };
  if (probe.hops.length > 1) ev.redirects = probe.hops.length - 1;
  if (probe.error) {
    ev.errorCode = probe.error.code;
    ev.errorMessage = probe.error.message;
  }
  return ev;
}

/** A finding from the probe alone, or null when the page is reachable and genuine (then dates decide). */
function judgeProbe(input: ClassifyInput): Finding | null {
  const { probe } = input;
  if (probe.error) return judgeError(probe, probe.error.code);
  const status = probe.status;
  if (status === null) return { reason: "network_error", evidence: {} };
  if (status >= 200 && status < 300) return judgePage(input);
  if (status === 404 || status === 410) {
    if (meetupGroupSlug(input.groupUrl)) return { reason: "meetup_group_gone", evidence: {} };
    return { reason: status === 404 ? "http_404" : "http_410", evidence: {} };
  }
  if (status === 401 || status === 403 || status === 407 || status === 429 || status === 451) {
    return { reason: "bot_wall", evidence: { retryAfterSec: probe.retryAfterSec ?? null } };
  }
  if (status >= 500 && status < 600) {
    // Cloudflare and friends serve their challenge with a 503; that is a wall, not a failing server.
    const wall = probe.body ? detectBotWall(readPage(probe.body), probe.headers) : null;
    if (wall) return { reason: "bot_wall", evidence: { matches: wall.matches } };
    return { reason: "http_5xx", evidence: {} };
  }
  return { reason: "http_other", evidence: {} };
}

const ERROR_REASONS: Record<ProbeErrorCode, ReasonCode> = {
  dns_nxdomain: "dns_nxdomain",
  refused: "refused",
  tls: "tls_error",
  tls_chain: "tls_incomplete_chain",
  cookie_loop: "cookie_loop",
  login_wall: "login_wall",
  transient: "server_busy",
  hostile_encoding: "hostile_body",
  too_large: "http_other",
  timeout: "timeout",
  reset: "network_error",
  dns_error: "network_error",
  other: "network_error",
  proxy: "proxy_error",
  forbidden_address: "forbidden_address",
  redirect_loop: "redirect_loop",
  too_many_redirects: "too_many_redirects",
  bad_url: "bad_url",
};

function judgeError(probe: ProbeResult, code: ProbeErrorCode): Finding {
  if (code === "redirect_loop" && looksLikeCookieLoop(probe)) {
    return { reason: "cookie_loop", evidence: {} };
  }
  return { reason: ERROR_REASONS[code], evidence: {} };
}

/**
 * A loop is dead only when the server loops for everyone. Many sites (Meetup's `_cookie-check`
 * among them) bounce a visitor without cookies back and forth; we keep no cookie jar, so a loop that
 * sets or mentions a cookie says nothing about the group.
 */
function looksLikeCookieLoop(probe: ProbeResult): boolean {
  if (Object.keys(probe.headers).some((k) => k.toLowerCase() === "set-cookie")) return true;
  const urls = probe.hops.flatMap((h) => [h.url, h.location ?? ""]);
  return [probe.url, probe.finalUrl ?? "", ...urls].some((u) => /cookie|consent/i.test(u));
}

const TEXTUAL = /html|xml|text|json|calendar|^$/i;

function judgePage(input: ClassifyInput): Finding | null {
  const { probe, groupUrl } = input;
  const body = probe.body ?? "";
  const finalUrl = probe.finalUrl ?? probe.url;
  const contentType = (probe.contentType ?? "").toLowerCase();

  if (!TEXTUAL.test(contentType)) return null; // a PDF or an image: reachable, nothing to read
  if (body.trim() === "") return { reason: "empty_page", evidence: {} };
  if (isCalendarOrFeed(body, contentType)) return null;

  const page = readPage(body);
  const evidence: Evidence = { title: page.title || null };
  if (page.lang) evidence.lang = page.lang;

  const gone = detectMeetupGone(page, groupUrl, finalUrl);
  if (gone) return { reason: "meetup_group_gone", evidence: { ...evidence, matches: gone.matches } };

  const wall = detectBotWall(page, probe.headers);
  if (wall) return { reason: "bot_wall", evidence: { ...evidence, matches: wall.matches } };

  const soft404 = detectSoft404(page);
  if (soft404) {
    const why = `the page says it doesn't exist (${soft404.matches.map((m) => `'${m}'`).join(", ")})`;
    return { reason: "soft_404", evidence: { ...evidence, matches: soft404.matches, why } };
  }

  // Identity first: only positive evidence that the page is still the group's makes it alive.
  const group = input.group ?? { name: input.groupName ?? null, url: groupUrl };
  const identity = findIdentity(page, group, finalUrl, input.activity);
  const marks = takeoverMarks(page, finalUrl, input.signals);
  const offsite = !sameSite(groupUrl, finalUrl);
  const movedTo = offsite ? { movedTo: hostOf(finalUrl) } : {};
  const strongIdentity = identity.some((i) => !i.weak);
  if (identity.length > 0 && (strongIdentity || !marks || marks.score < STRONG_MARKS)) {
    return pageIsFine(input, page, finalUrl, { ...evidence, ...movedTo }, identity);
  }

  const noGroup =
    identity.length > 0
      ? `the group's name appears only in the title or a script`
      : "no mention of the group or Python";
  if (marks) {
    const reason = MARK_REASONS[marks.kind];
    const why = `${noGroup}; looks ${MARK_WORDS[marks.kind]}: ${marks.reasons.join("; ")}`;
    return {
      reason,
      evidence: {
        ...evidence,
        ...movedTo,
        marks: marks.reasons,
        ...(marks.known.length ? { matches: marks.known } : {}),
        ...(marks.externalLinkShare !== null ? { externalLinkShare: marks.externalLinkShare } : {}),
        why,
      },
    };
  }
  if (offsite && !isPlatform(finalUrl)) {
    const why = `${noGroup}; the address now sends visitors to ${hostOf(finalUrl)}`;
    return { reason: "redirect_offsite", evidence: { ...evidence, ...movedTo, why } };
  }
  const why = `${noGroup}, its old address or its Meetup group on the page, and no sign of a takeover either`;
  return { reason: "no_sign_of_group", evidence: { ...evidence, ...movedTo, why } };
}

const MARK_REASONS: Record<MarkKind, ReasonCode> = {
  parked: "parked",
  for_sale: "for_sale",
  spam: "spam_takeover",
  hosting_default: "hosting_default",
  domain_expired: "domain_expired",
  account_suspended: "account_suspended",
  shell: "parked",
  commerce: "not_the_group",
};

const MARK_WORDS: Record<MarkKind, string> = {
  parked: "parked",
  for_sale: "for sale",
  spam: "like spam",
  hosting_default: "like a web host's default page",
  domain_expired: "expired",
  account_suspended: "suspended",
  shell: "like a script-only page that redirects elsewhere",
  commerce: "like someone else's shop",
};

/** Sites where a group may live on or that put a login in front of it: landing there is not a takeover. */
const PLATFORMS =
  /(^|\.)(meetup\.com|facebook\.com|fb\.me|linkedin\.com|google\.com|github\.com|gitlab\.com|twitter\.com|x\.com|t\.me|telegram\.(me|org)|discord\.(gg|com)|eventbrite\.[a-z.]+|lu\.ma|connpass\.com|doorkeeper\.jp|timepad\.ru|instagram\.com|youtube\.com|slack\.com|python\.org|mailman3?\.[a-z.]+|groups\.io)$/;

function isPlatform(url: string): boolean {
  const host = hostOf(url);
  return host !== null && PLATFORMS.test(host);
}

/** The page is the group's; whatever dates (or a "we paused" note) say decides between alive and dormant. */
function pageIsFine(
  input: ClassifyInput,
  page: Page,
  finalUrl: string,
  evidence: Evidence,
  identity: IdentityFinding[],
): Finding {
  const activity = judgeActivity(input);
  const meetup = isMeetupGroupPage(page, finalUrl) ? { meetupGroup: true } : {};
  const who = identity.map((i) => i.detail);
  const paused = input.activity?.paused ?? null;
  let reason = activity.reason;
  if (paused && reason !== "upcoming_event") reason = "on_hiatus";
  const when = activityWords(reason, activity.evidence, paused);
  return {
    reason,
    evidence: {
      ...evidence,
      ...meetup,
      ...activity.evidence,
      identity: who,
      ...(paused ? { paused } : {}),
      why: `the page ${who.slice(0, 2).join(" and ")}${when ? `; ${when}` : ""}`,
    },
  };
}

function activityWords(reason: ReasonCode, ev: Evidence, paused: string | null): string {
  const day = (v: unknown) => (typeof v === "string" ? v.slice(0, 10) : "");
  if (reason === "on_hiatus") return `it says the group paused ('${paused}')`;
  if (reason === "upcoming_event") return `next event ${day(ev.nextEventAt)}`;
  if (reason === "recent_activity") return `last activity ${day(ev.lastActivityAt ?? ev.nextEventAt)}`;
  if (reason === "no_recent_activity") {
    return `newest event or post ${day(ev.lastActivityAt ?? ev.nextEventAt)}, over a year ago`;
  }
  return "";
}

function isCalendarOrFeed(body: string, contentType: string): boolean {
  if (/calendar|rss|atom/.test(contentType)) return true;
  const head = body.slice(0, 256).trimStart();
  return /^BEGIN:VCALENDAR/i.test(head) || /^(<\?xml[^>]*>\s*)?<(rss|feed|rdf:RDF)\b/i.test(head);
}

/** Alive with an upcoming or recent event, dormant when every date is old, plainly alive with no dates at all. */
function judgeActivity(input: ClassifyInput): Finding {
  const { activity, now, dormantAfterDays } = input;
  const next = activity?.nextEventAt ?? null;
  const last = activity?.lastActivityAt ?? null;
  const evidence: Evidence = {};
  if (next) evidence.nextEventAt = next.toISOString();
  if (last) evidence.lastActivityAt = last.toISOString();
  if (activity?.sources.length) evidence.activitySources = activity.sources;
  if (next && next.getTime() > now.getTime()) return { reason: "upcoming_event", evidence };
  const newest = Math.max(
    last?.getTime() ?? Number.NEGATIVE_INFINITY,
    next?.getTime() ?? Number.NEGATIVE_INFINITY,
  );
  if (!Number.isFinite(newest)) return { reason: "ok", evidence };
  const ageDays = (now.getTime() - newest) / DAY_MS;
  evidence.daysSinceActivity = Math.floor(ageDays);
  return { reason: ageDays <= dormantAfterDays ? "recent_activity" : "no_recent_activity", evidence };
}

/**
 * Same site: same host, or the same registrable domain (http→https, apex↔www, subdomains,
 * meetup.com↔www.meetup.com), or a page on the Python wiki, where many groups keep their page.
 */
export function sameSite(fromUrl: string, toUrl: string): boolean {
  const from = hostOf(fromUrl);
  const to = hostOf(toUrl);
  if (!from || !to) return true;
  if (from === to || to === "wiki.python.org") return true;
  const a = getDomain(from, { allowPrivateDomains: true });
  const b = getDomain(to, { allowPrivateDomains: true });
  return a !== null && a === b;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname.toLowerCase().replace(/\.$/, "");
  } catch {
    return null;
  }
}
