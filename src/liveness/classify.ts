import { getDomain } from "tldts";
import type { ActivityEvidence } from "./activity.js";
import {
  detectBotWall,
  detectMeetupGone,
  detectParked,
  detectSoft404,
  detectSpam,
  groupLikeness,
  isMeetupGroupPage,
  meetupGroupSlug,
  type Page,
  readPage,
} from "./content-signals.js";
import type { ProbeErrorCode, ProbeResult } from "./probe-types.js";
import { REASONS, type ReasonCode } from "./reasons.js";
import type { Status } from "./status.js";

export interface ClassifyInput {
  groupUrl: string;
  probe: ProbeResult;
  /** Dates from the page and its feeds, merged; null when nothing was read. */
  activity: ActivityEvidence | null;
  now: Date;
  dormantAfterDays: number;
  /** The group's listed name, when known: a site that moved domains is still the group if it names it. */
  groupName?: string | null;
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

function build(reason: ReasonCode, evidence: Evidence, input: ClassifyInput, withDates: boolean): Verdict {
  const iso = (d: Date | null | undefined) => (withDates && d ? d.toISOString() : null);
  return {
    status: REASONS[reason].status,
    reason,
    evidence,
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

  const gone = detectMeetupGone(page, groupUrl, finalUrl);
  if (gone) return { reason: "meetup_group_gone", evidence: { ...evidence, matches: gone.matches } };

  const wall = detectBotWall(page, probe.headers);
  if (wall) return { reason: "bot_wall", evidence: { ...evidence, matches: wall.matches } };

  const parked = detectParked(page);
  if (parked) return { reason: parked.kind, evidence: { ...evidence, matches: parked.matches } };

  const spam = detectSpam(page);
  if (spam) return { reason: "spam_takeover", evidence: { ...evidence, matches: spam.matches } };

  const soft404 = detectSoft404(page);
  if (soft404) return { reason: "soft_404", evidence: { ...evidence, matches: soft404.matches } };

  if (!sameSite(groupUrl, finalUrl)) {
    const likeness = groupLikeness(page, { groupName: input.groupName, groupUrl });
    const movedTo = hostOf(finalUrl);
    if (!likeness.groupLike) return { reason: "redirect_offsite", evidence: { ...evidence, movedTo } };
    return pageIsFine(input, page, finalUrl, { ...evidence, movedTo, matches: likeness.matches });
  }
  return pageIsFine(input, page, finalUrl, evidence);
}

/** The page is genuine; whatever dates say decides between alive and dormant. */
function pageIsFine(input: ClassifyInput, page: Page, finalUrl: string, evidence: Evidence): Finding {
  const activity = judgeActivity(input);
  const meetup = isMeetupGroupPage(page, finalUrl) ? { meetupGroup: true } : {};
  return { reason: activity.reason, evidence: { ...evidence, ...meetup, ...activity.evidence } };
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
