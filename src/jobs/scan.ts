import { performance } from "node:perf_hooks";
import { type Clock, isoNow } from "../clock.js";
import type { Db } from "../db/connect.js";
import { countByStatus, getGroupById, groupsWithChannelsBetween, listChannels } from "../db/groups.js";
import { loadHostRates, type StoredHostRate, saveHostRates } from "../db/host-rates.js";
import {
  type CheckRecord,
  finishScan,
  type GroupStateWrite,
  hasAnyCheck,
  insertEvents,
  type RecordedCheck,
  recentChecks,
  recordChecks,
  type ScanGroup,
  scanPage,
  startOrResumeScan,
} from "../db/scans.js";
import type { GroupRow, Status } from "../db/schema.js";
import { type ActivityEvidence, extractActivity, mergeActivity } from "../liveness/activity.js";
import { classify, plainVerdict, type Verdict } from "../liveness/classify.js";
import {
  applyVerdict,
  type HysteresisConfig,
  type LivenessState,
  SOFT_FAILURES,
  type Transition,
} from "../liveness/hysteresis.js";
import type { ProbeRequestOptions, Prober } from "../liveness/probe.js";
import type { ProbeResult } from "../liveness/probe-types.js";
import { cachingProber } from "../liveness/response-cache.js";
import { totalOf } from "../liveness/status.js";
import { isWikiPage, readWikiGroupPage } from "../liveness/wiki-link.js";
import type { Logger } from "../logger.js";
import { showsActivity } from "../sources/channels.js";
import type { ChannelKind } from "../sources/types.js";
import { WriteBatches } from "./write-batches.js";

export type { Prober };

export interface ScanSettings extends HysteresisConfig {
  dormantAfterDays: number;
  canaryUrls: readonly string[];
  concurrency: number;
  /** Admin rescans add at most one failure per this many hours: the app passes POICK_SCAN_CRON's interval (default 6). */
  scanWindowHours?: number;
  /** Hosts of the wiki's own pages: a group listed by its wiki page is judged by the site that page names. */
  wikiHosts?: readonly string[];
  /** One deadline per group check, covering the page, its redirects and retries, and its feeds. */
  checkDeadlineMs?: number;
}

/** Called inside the transaction that records a confirmed transition (alerts queue their outbox rows here). */
export type OnTransition = (
  trx: Db,
  t: {
    group: GroupRow;
    transition: Exclude<Transition, null>;
    verdict: Verdict;
    at: string;
    firstScan: boolean;
  },
) => Promise<void>;

/**
 * The per-host pacing the prober's requests go through (the HTTP client's HostLimiter), as the
 * scheduler sees it: which host can take a request now, and what the scan cost.
 */
export interface HostPacer {
  /** Milliseconds until `host` can take a request (0: now), or null while it is busy. */
  readyIn(host: string): number | null;
  /** Called whenever a host may have become ready. */
  subscribe(listener: () => void): () => void;
  stats(): { requests: number; rateLimited: number; peakPerSecond: number; perHost: Record<string, number> };
  rates(): StoredHostRate[];
  seed(rates: readonly StoredHostRate[]): void;
}

export interface ScanDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Rate limits (global and per host) live inside the prober, on every request and redirect hop. */
  prober: Prober;
  /** The prober's per-host pacing: lets the scheduler start only groups whose host can go now. */
  pacer?: HostPacer;
  settings: ScanSettings;
  onTransition?: OnTransition;
  /** Waits between a first check's soft-failure retries (tests pass one that moves a fake clock). */
  sleep?: (ms: number) => Promise<void>;
  /** Groups read per page and checks written per transaction (defaults 500 and 250; tests make them small). */
  sizes?: { pageRows?: number; writeRows?: number };
}

/** One group's check, reported once it is written (checks are written in batches). */
export interface ScanProgress {
  done: number;
  total: number;
  /** The host the group's check started on, and how many groups of this scan each host has. */
  host: string;
  hostTotals: Readonly<Record<string, number>>;
  /** The group as it was before this check. */
  group: GroupRow;
  verdict: Verdict;
  status: Status;
}

export interface ScanRequest {
  /** Only these groups (a one-off check, not a resumable scan). */
  groupIds?: string[];
  onProgress?: (p: ScanProgress) => void;
  /** Aborted when the job lost its lock: stop between checks, keep what was written. */
  signal?: AbortSignal;
}

export interface CheckedGroup {
  id: string;
  name: string;
  status: Status;
  verdict: Verdict;
  transition: Transition;
}

export type ScanOutcome =
  | {
      kind: "done";
      scanId: number | null;
      resumed: boolean;
      checked: number;
      skipped: number;
      total: number;
      /** The listed groups by status after the scan (for chosen groups: theirs). */
      counts: Record<Status, number>;
      /** The status changes, the first 200 of them: `transitionCount` says how many there were. */
      transitions: { id: string; name: string; transition: Exclude<Transition, null> }[];
      transitionCount: number;
      /** Only for a check of chosen groups (`groupIds`): each one's fresh verdict. A scan of every group keeps no verdicts. */
      groups?: CheckedGroup[];
      figures: ScanFigures;
    }
  | { kind: "offline"; message: string; canaries: { url: string; error: string | null }[] }
  | { kind: "not_found"; message: string }
  | { kind: "stopped"; message: string };

/** What a scan cost the sites it checked, and how long it took. */
export interface ScanFigures {
  /** HTTP requests sent (every redirect hop, retry and feed), canaries included. */
  requests: number;
  /** Requests per group checked in this run. */
  requestsPerGroup: number;
  /** 429 answers seen (never a verdict: the group was asked again later). */
  rateLimited: number;
  /** Groups left as they were because their host kept answering 429. */
  deferred: number;
  /** Probes answered from this scan's memory instead of the network. */
  reused: number;
  /** The most requests one host got from us within one second. */
  peakPerHostPerSecond: number;
  wallMs: number;
}

/** A scan killed more than this long ago starts over instead of resuming. */
const RESUME_WINDOW_MS = 12 * 3_600_000;
const DEFAULT_SOFT_HOLD_MS = 20_000;
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** A network failure makes us suspect our own outage only when no site has answered for this long. */
const CANARY_TTL_MS = 15_000;
/** A group whose host keeps saying 429 is asked again at most this many times in one scan. */
const MAX_RATE_LIMITED = 6;
/** …and not when it asks us to stay away longer than this. */
const MAX_REQUEUE_WAIT_MS = 60_000;
/** A check running longer than this waits on a slow host: it stops counting against the slots. */
const LINGER_MS = 1_000;
/** Paces older than this are forgotten. */
const RATE_MEMORY_MS = 14 * 86_400_000;
/**
 * How a scan asks: it retries 429s itself, later, without holding a worker; a timeout's one retry is
 * the client's hedge (see the HTTP client), or the scan's own when the request was not hedged.
 */
const SCAN_REQUESTS: ProbeRequestOptions = { retryTimeout: false, retryRateLimited: false };
/**
 * A group never judged before is asked again through the soft-failure hold (half-way and at its
 * end) if it fails softly: those re-checks are its retries, so no request retries on its own.
 */
const FIRST_JUDGEMENT_REQUESTS: ProbeRequestOptions = { ...SCAN_REQUESTS, retries: 0 };
const isFirstJudgement = (g: Pick<GroupRow, "ever_alive" | "status">) =>
  g.ever_alive === 0 && g.status !== "dead";

const stateOf = (g: GroupRow): LivenessState => ({
  status: g.status,
  reason: g.reason,
  statusSince: g.status_since,
  everAlive: g.ever_alive === 1,
  consecutiveFailures: g.consecutive_failures,
  failingSince: g.failing_since,
  failingReason: g.failing_reason,
});

/** Is the internet reachable from here? Any HTTP answer from any canary counts. */
export async function checkCanaries(prober: Prober, urls: readonly string[]) {
  if (urls.length === 0) return { online: true, results: [] };
  const results = await Promise.all(
    urls.map(async (url) => {
      const r = await prober.probe(url);
      return { url, error: r.status === null ? (r.error?.message ?? "no answer") : null };
    }),
  );
  return { online: results.some((r) => r.error === null), results };
}

const NETWORK_FAILURES = new Set(["dns_nxdomain", "refused", "tls", "timeout", "reset", "dns_error"]);

type Channel = { kind: string; url: string };

export interface Judged {
  probe: ProbeResult;
  verdict: Verdict;
  /** A request of this check got 429: the verdict is not an answer, ask again later. */
  rateLimited?: boolean;
}

/**
 * Probe one group's site (and its feeds), and judge it; a dead website with a channel that shows
 * activity is judged by that channel. Pure of the database. `how` says how the scan asks (it
 * retries timeouts and 429s itself, later).
 */
export async function judgeGroup(
  deps: Pick<ScanDeps, "prober" | "clock" | "settings">,
  group: {
    url: string;
    name?: string | null;
    /** The group's channels, or how to read them: read only when the website turns out dead. */
    channels?: readonly Channel[] | (() => Promise<readonly Channel[]>);
  },
  how: ProbeRequestOptions = {},
): Promise<Judged> {
  const judged = await judgeWebsite(deps, group, how);
  if (judged.rateLimited || judged.verdict.status !== "dead" || !group.channels) return judged;
  // The website is gone, but the group may still meet: a Meetup group or a mailing-list archive that
  // shows recent activity is evidence of life, and the group is judged by it (no death alert).
  const channels = typeof group.channels === "function" ? await group.channels() : group.channels;
  for (const channel of channels.filter((c) => showsActivity(c.kind as ChannelKind)).slice(0, 2)) {
    const other = await judgeWebsite(deps, { url: channel.url, name: group.name ?? null }, how);
    if (other.rateLimited) return { ...judged, rateLimited: true };
    if (other.verdict.status !== "alive" && other.verdict.status !== "dormant") continue;
    const reason =
      other.verdict.status === "dormant"
        ? other.verdict.reason
        : channel.kind === "meetup"
          ? "website_gone_meetup_active"
          : "website_gone_list_active";
    return {
      probe: judged.probe,
      verdict: {
        ...other.verdict,
        reason,
        evidence: {
          ...other.verdict.evidence,
          summary: `website gone; active on ${hostOf(channel.url)}`,
          channel: { kind: channel.kind, url: channel.url },
          website: { reason: judged.verdict.reason, evidence: judged.verdict.evidence },
        },
      },
    };
  }
  return judged;
}

const hostOf = (url: string): string => {
  try {
    return new URL(url).hostname.replace(/^www\./, "");
  } catch {
    return url;
  }
};

async function judgeWebsite(
  deps: Pick<ScanDeps, "prober" | "clock" | "settings">,
  group: { url: string; name?: string | null },
  how: ProbeRequestOptions = {},
): Promise<Judged> {
  // One deadline for the whole check: the wiki hop, the page with its redirects and retries, its feeds.
  const ms = deps.settings.checkDeadlineMs;
  const within: ProbeRequestOptions = ms ? { ...how, signal: AbortSignal.timeout(ms) } : { ...how };
  if (!isWikiPage(group.url, deps.settings.wikiHosts))
    return judgeSite(deps, { ...group, viaWiki: null }, within);
  // A link to the wiki's own page for the group: one hop to the website that page names.
  const wikiProbe = await deps.prober.probe(group.url, within);
  if (wikiProbe.status === 429)
    return { probe: wikiProbe, verdict: plainVerdict("bot_wall", { httpStatus: 429 }), rateLimited: true };
  const wiki = readWikiGroupPage(wikiProbe, deps.settings.wikiHosts);
  if (wiki.kind === "site")
    return judgeSite(deps, { url: wiki.website, name: group.name, viaWiki: group.url }, within);
  if (wiki.kind === "unreachable") return judgeSite(deps, { ...group, viaWiki: null }, within);
  return {
    probe: wikiProbe,
    verdict: plainVerdict("no_website", { httpStatus: wikiProbe.status, wikiPage: group.url, why: wiki.why }),
  };
}

/**
 * The page alone settles it: alive with an upcoming or recent event. Feeds could only add dates to
 * an answer that stays "alive", so they are not fetched.
 */
const settledByPage = (v: Verdict): boolean =>
  v.status === "alive" && (v.reason === "upcoming_event" || v.reason === "recent_activity");

async function judgeSite(
  deps: Pick<ScanDeps, "prober" | "clock" | "settings">,
  group: { url: string; name?: string | null; viaWiki: string | null },
  within: ProbeRequestOptions,
): Promise<Judged> {
  const { prober, clock, settings } = deps;
  const url = group.url;
  const probe = await prober.probe(url, within);
  const now = clock.now();
  const judge = (activity: ActivityEvidence | null) =>
    classify({
      groupUrl: url,
      probe,
      activity,
      now,
      dormantAfterDays: settings.dormantAfterDays,
      groupName: group.name,
      group: { name: group.name ?? null, url, viaWiki: group.viaWiki },
    });
  if (probe.status === 429) return { probe, verdict: judge(null), rateLimited: true };
  const first = judge(null);
  if (first.status === "dead") return { probe, verdict: first };
  const ok = probe.status !== null && probe.status >= 200 && probe.status < 300;
  const page = extractActivity({
    body: ok && probe.body ? probe.body : "",
    contentType: ok ? probe.contentType : "text/html",
    url: probe.finalUrl ?? url,
    now,
  });
  const byPage = judge(page);
  if (settledByPage(byPage)) return { probe, verdict: byPage };
  let activity = page;
  let rateLimited = false;
  for (const feed of page.feeds.slice(0, 2)) {
    if (within.signal?.aborted) break;
    const f = await prober.probe(feed, within);
    if (f.status === 429) rateLimited = true;
    if (f.status !== null && f.status >= 200 && f.status < 300 && f.body) {
      activity = mergeActivity(
        activity,
        extractActivity({ body: f.body, contentType: f.contentType, url: f.finalUrl ?? feed, now }),
      );
    }
  }
  const verdict = judge(activity);
  // A feed that said 429 matters only while the verdict is still open without it.
  return { probe, verdict, ...(rateLimited && !settledByPage(verdict) && { rateLimited }) };
}

/** Groups read per page while the scan goes: the scheduler holds about one or two pages, not the list. */
const PAGE_ROWS = 500;
/** Groups read per page when counting each host's groups before the scan (nothing of them is kept). */
const COUNT_PAGE_ROWS = 5_000;
/**
 * Checks per write transaction; a smaller batch is written once its oldest check waited WRITE_WAIT_MS.
 * The wait is short: a big scan fills its batches long before it, and a small one (or a process killed
 * a moment later) must not lose checks that sat unwritten for half a second.
 */
const WRITE_ROWS = 250;
const WRITE_WAIT_MS = 50;
/** The outcome names at most this many status changes, and says how many there were. */
const LISTED_TRANSITIONS = 200;

/** A judged check waiting for its batch to be written. */
interface PendingCheck extends CheckRecord {
  group: ScanGroup;
  host: string;
  verdict: Verdict;
  /** Set when its state is worked out, inside the write transaction. */
  transition: Transition;
}

/**
 * Checks every listed group (or the chosen ones), judges each and folds the verdict into its
 * state with hysteresis. Never cries wolf: if the internet looks down from here, nothing changes.
 * Streams: groups are read in pages as the scheduler needs them and written in batches, each in a
 * short transaction (a status change commits with its event and alert rows), so its memory does not
 * grow with the list; the outcome is a summary.
 */
export async function scanGroups(deps: ScanDeps, req: ScanRequest = {}): Promise<ScanOutcome> {
  const { db, clock, logger, settings, pacer } = deps;
  const wallStart = performance.now();
  const before = pacer?.stats();

  let chosen: ScanGroup[] | null = null;
  if (req.groupIds) {
    chosen = [];
    for (const id of req.groupIds) {
      const g = await getGroupById(db, id);
      if (g) chosen.push(g);
    }
    if (chosen.length === 0) return { kind: "not_found", message: "No such group." };
  }
  const listed = chosen ? chosen.length : totalOf(await listedCounts(db));

  if (pacer && !req.groupIds) {
    const since = new Date(clock.now().getTime() - RATE_MEMORY_MS).toISOString();
    pacer.seed(await loadHostRates(db, since));
  }
  // One scan's memory of what it fetched: no URL is fetched twice in one scan.
  const prober = cachingProber(deps.prober);
  const scanDeps = { ...deps, prober };

  const canary = await checkCanaries(prober, settings.canaryUrls);
  if (!canary.online) {
    logger.warn({ canaries: canary.results }, "scan aborted: the internet is unreachable from here");
    return {
      kind: "offline",
      message:
        "None of the canary sites answered, so the internet looks unreachable from here. The scan was stopped and no status was changed. Check this machine's network (or POICK_CANARY_URLS) and try again.",
      canaries: canary.results,
    };
  }
  // The canaries are asked once per scan, and again only on suspicion of our own outage: a network
  // failure while no site at all has answered for a while.
  let lastAnswerAt = clock.now().getTime();
  let canaryPending: Promise<boolean> | null = null;
  let offline = false;
  const sawAnswer = (probe: ProbeResult) => {
    if (probe.status !== null) lastAnswerAt = Math.max(lastAnswerAt, clock.now().getTime());
  };
  const stillOnline = async (): Promise<boolean> => {
    if (clock.now().getTime() - lastAnswerAt < CANARY_TTL_MS) return !offline;
    canaryPending ??= checkCanaries(deps.prober, settings.canaryUrls).then((c) => {
      if (c.online) lastAnswerAt = clock.now().getTime();
      canaryPending = null;
      offline = !c.online;
      return c.online;
    });
    return canaryPending;
  };

  const now0 = isoNow(clock);
  let scanId: number | null = null;
  let resumed = false;
  let skipped = 0;
  const firstScan = !(await hasAnyCheck(db));
  if (!req.groupIds) {
    const s = await startOrResumeScan(
      db,
      now0,
      new Date(clock.now().getTime() - RESUME_WINDOW_MS).toISOString(),
      listed,
    );
    scanId = s.scanId;
    resumed = s.resumed;
    skipped = s.checked;
    if (resumed) logger.info({ scanId, already: skipped }, "resuming an interrupted scan");
  }
  // The scheduler needs each host's number of groups up front (the busiest goes first), not the groups.
  const hostTotals = chosen ? countHosts(chosen) : await countHostsToCheck(db, scanId);
  const total = listed;
  let completed = skipped;
  let checked = 0;
  let deferred = 0;
  const checkedGroups: CheckedGroup[] = [];
  const transitions: { id: string; name: string; transition: Exclude<Transition, null> }[] = [];
  let transitionCount = 0;

  const hold = settings.firstCheckSoftHoldMs ?? DEFAULT_SOFT_HOLD_MS;
  const sleep = deps.sleep ?? realSleep;
  const softRetries = new Set<Promise<void>>();
  const windowMs = (settings.scanWindowHours ?? 6) * 3_600_000;

  /** In the write transaction, after the batch's checks and states: events, then the alert hooks. */
  const afterWrite = async (trx: Db, written: RecordedCheck<PendingCheck>[]) => {
    const changed = written.filter((w) => w.item.transition !== null);
    await insertEvents(
      trx,
      changed.map(({ item }) => ({
        groupId: item.group.id,
        kind: item.transition as Exclude<Transition, null>,
        at: item.check.checkedAt,
        detail: { reason: item.verdict.reason },
      })),
    );
    for (const { item, before } of changed) {
      const transition = item.transition as Exclude<Transition, null>;
      await deps.onTransition?.(trx, {
        group: before,
        transition,
        verdict: item.verdict,
        at: item.check.checkedAt,
        firstScan,
      });
    }
  };

  const written = (w: RecordedCheck<PendingCheck>) => {
    const { group: g, verdict, transition } = w.item;
    completed++;
    checked++;
    if (transition) {
      transitionCount++;
      if (transitions.length < LISTED_TRANSITIONS) transitions.push({ id: g.id, name: g.name, transition });
    }
    if (chosen) checkedGroups.push({ id: g.id, name: g.name, status: w.after.status, verdict, transition });
    try {
      req.onProgress?.({
        done: completed,
        total,
        host: w.item.host,
        hostTotals,
        group: w.before,
        verdict,
        status: w.after.status,
      });
    } catch (err) {
      logger.warn({ err }, "the scan's progress report failed");
    }
  };

  const lost = (err: unknown, group: string | undefined) =>
    logger.error({ err, group }, "check failed unexpectedly; the group keeps its status");
  const writeBatch = async (batch: PendingCheck[]) => {
    for (const part of onePerGroup(batch)) {
      try {
        for (const w of await recordChecks(db, part, afterWrite)) written(w);
        continue;
      } catch (err) {
        if (part.length === 1) {
          lost(err, part[0]?.group.id);
          continue;
        }
        logger.warn({ err, checks: part.length }, "a batch of checks could not be written; one by one now");
      }
      // One check that can't be written (or whose alert hook fails) costs its own group only.
      for (const one of part) {
        try {
          for (const w of await recordChecks(db, [one], afterWrite)) written(w);
        } catch (err) {
          lost(err, one.group.id);
        }
      }
    }
  };
  const writes = new WriteBatches(writeBatch, {
    rows: deps.sizes?.writeRows ?? WRITE_ROWS,
    waitMs: WRITE_WAIT_MS,
  });

  /**
   * A group never judged before that fails softly (5xx, refused, reset) is checked again later in
   * the scan, half-way through the hold and at its end, so the retries overlap the rest of the
   * scan; only a failure that held for the whole hold makes it dead. These re-asks are fresh (not
   * from the scan's memory): here the verdict issue's retry window wins over fewest requests.
   */
  // Channels are read only when the website is dead: the request goes out at once, while the
  // scheduler still knows the host can take it. And only for a group that has any (its page's
  // look-up says): most have none, and each dead website's check (soft-failure re-checks too) was
  // a query of its own.
  const withChannels = (g: ToCheck) => ({
    url: g.url,
    name: g.name,
    channels: g.hasChannels === false ? [] : () => listChannels(db, g.id),
  });

  const retryLater = (g: ToCheck, firstAt: number, first: Judged) => {
    const task = (async () => {
      let last = first;
      for (const due of [firstAt + hold / 2, firstAt + hold]) {
        const wait = due - clock.now().getTime();
        if (wait > 0) await sleep(wait);
        if (offline || req.signal?.aborted) return;
        const again = await judgeGroup(deps, withChannels(g), { retries: 0 });
        sawAnswer(again.probe);
        if (again.rateLimited) continue;
        last = again;
        const held = clock.now().getTime() - firstAt;
        if (!(again.verdict.status === "dead" && SOFT_FAILURES.has(again.verdict.reason)) || held >= hold)
          break;
      }
      await checkOne(g, last, { firstAt });
    })()
      .catch((err) => logger.error({ err, group: g.id }, "retry failed unexpectedly"))
      .finally(() => softRetries.delete(task));
    softRetries.add(task);
  };

  const checkOne = async (g: ToCheck, judged: Judged, retry?: { firstAt: number }) => {
    const { probe, verdict } = judged;
    if (
      verdict.status === "dead" &&
      probe.error &&
      NETWORK_FAILURES.has(probe.error.code) &&
      !(await stillOnline())
    ) {
      return; // our network went away mid-scan: this failure says nothing about the group
    }
    const soft = verdict.status === "dead" && SOFT_FAILURES.has(verdict.reason);
    const firstJudgement = isFirstJudgement(g);
    const firstAt = retry?.firstAt ?? clock.now().getTime();
    const heldMs = clock.now().getTime() - firstAt;
    if (soft && firstJudgement && heldMs < hold && !retry) {
      retryLater(g, firstAt, judged);
      return;
    }
    // Repeated admin rescans add one failure per scan window, not one per click.
    let countFailure = true;
    if (req.groupIds && verdict.status === "dead") {
      const [last] = await recentChecks(db, g.id, 1);
      if (last?.status === "dead" && clock.now().getTime() - Date.parse(last.checked_at) < windowMs) {
        countFailure = false;
      }
    }
    const at = isoNow(clock);
    // What the check row needs, without the page's body: the batch holds no more than that.
    const pending: PendingCheck = {
      group: g,
      host: hostKey(g.url),
      verdict,
      transition: null,
      check: {
        groupId: g.id,
        scanId,
        checkedAt: at,
        status: verdict.status,
        reason: verdict.reason,
        httpStatus: probe.status,
        finalUrl: probe.finalUrl,
        redirects: probe.hops,
        timings: { ...probe.timings, attempts: probe.attempts },
        evidence: verdict.evidence,
      },
      state(current): GroupStateWrite {
        const step = applyVerdict(stateOf(current), { ...verdict, heldMs }, at, settings, { countFailure });
        pending.transition = step.transition;
        const s = step.state;
        return {
          status: s.status,
          reason: s.reason,
          status_since: s.statusSince,
          ever_alive: s.everAlive ? 1 : 0,
          consecutive_failures: s.consecutiveFailures,
          failing_since: s.failingSince,
          failing_reason: s.failingReason,
          last_activity_at: verdict.lastActivityAt ?? current.last_activity_at,
          next_event_at: verdict.nextEventAt ?? (verdict.status === "alive" ? null : current.next_event_at),
        };
      },
    };
    await writes.add(pending);
  };

  /** One try at a group: a 429 or a first, unhedged timeout puts it back in its host's queue for later. */
  const attempt = async (task: Task): Promise<void> => {
    const how = isFirstJudgement(task.group) ? FIRST_JUDGEMENT_REQUESTS : SCAN_REQUESTS;
    const judged = await judgeGroup(scanDeps, withChannels(task.group), how);
    sawAnswer(judged.probe);
    if (judged.rateLimited) {
      const wait = Math.max(1_000, pacer?.readyIn(task.host) ?? 0);
      if (task.rateLimited < MAX_RATE_LIMITED && wait <= MAX_REQUEUE_WAIT_MS) {
        queue.put({ ...task, rateLimited: task.rateLimited + 1, notBefore: performance.now() + wait });
      } else {
        deferred++;
        logger.warn(
          { group: task.group.id, host: task.host },
          "host keeps answering 429; group left as it was",
        );
      }
      return;
    }
    if (judged.probe.error?.code === "timeout" && !judged.probe.hedged && !task.timedOut) {
      // A hanging host's request was hedged (the HTTP client sent it again half-way through its
      // timeout): that was its one retry, beside the first. A request that never got that far (a
      // connect that timed out) gets its one retry here: back to the front of its host's queue,
      // while the scan goes on.
      queue.put({ ...task, timedOut: true, notBefore: performance.now() + 500 }, true);
      return;
    }
    await checkOne(task.group, judged);
  };

  const taskOf = (g: ToCheck): Task => ({
    group: g,
    host: hostKey(g.url),
    rateLimited: 0,
    timedOut: false,
    notBefore: 0,
  });
  const pageRows = deps.sizes?.pageRows ?? PAGE_ROWS;
  let lastId: string | null = null;
  const feed: Feed = async () => {
    if (chosen) return { tasks: chosen.map(taskOf), more: false };
    const page = await scanPage(db, { scanId, after: lastId, limit: pageRows });
    const [first, last] = [page[0], page.at(-1)];
    if (!first || !last) return { tasks: [], more: false };
    lastId = last.id;
    const channelled = await groupsWithChannelsBetween(db, first.id, last.id);
    return {
      tasks: page.map((g) => taskOf({ ...g, hasChannels: channelled.has(g.id) })),
      more: page.length === pageRows,
    };
  };
  const queue = new HostQueues(pacer, hostTotals);
  try {
    await queue.drain({
      slots: Math.max(1, settings.concurrency),
      lingerMs: LINGER_MS,
      feed,
      lowWater: pageRows,
      stop: () => offline || !!req.signal?.aborted,
      run: (task) =>
        attempt(task).catch((err) =>
          logger.error(
            { err, group: task.group.id },
            "check failed unexpectedly; the group keeps its status",
          ),
        ),
    });
    while (softRetries.size > 0) await Promise.all([...softRetries]);
  } finally {
    await writes.close();
  }

  if (pacer && !req.groupIds) {
    await saveHostRates(db, pacer.rates(), isoNow(clock)).catch((err) =>
      logger.warn({ err }, "could not keep the hosts' request pace for the next scan"),
    );
  }

  if (offline) {
    if (scanId !== null) await finishScan(db, scanId, "aborted", isoNow(clock), "network down");
    return {
      kind: "offline",
      message:
        "The internet became unreachable from here during the scan. It stopped; failures seen while offline were not counted. Run it again when the network is back.",
      canaries: [],
    };
  }
  if (req.signal?.aborted) {
    if (scanId !== null) await finishScan(db, scanId, "aborted", isoNow(clock), "lock lost");
    return {
      kind: "stopped",
      message: "The scan stopped because another process took over its lock. What was checked is kept.",
    };
  }
  if (scanId !== null) await finishScan(db, scanId, "done", isoNow(clock), null);

  let counts: Record<Status, number> = { alive: 0, dormant: 0, dead: 0, unknown: 0 };
  if (chosen) for (const g of checkedGroups) counts[g.status]++;
  else counts = await listedCounts(db);
  const after = pacer?.stats();
  const requests = before && after ? after.requests - before.requests : prober.misses;
  return {
    kind: "done",
    scanId,
    resumed,
    checked,
    skipped,
    total,
    counts,
    transitions,
    transitionCount,
    ...(chosen && { groups: checkedGroups }),
    figures: {
      requests,
      requestsPerGroup: checked ? Math.round((100 * requests) / checked) / 100 : 0,
      rateLimited: before && after ? after.rateLimited - before.rateLimited : 0,
      deferred,
      reused: prober.hits,
      peakPerHostPerSecond: after?.peakPerSecond ?? 0,
      wallMs: Math.round(performance.now() - wallStart),
    },
  };
}

/** How many listed groups have each status (one GROUP BY). */
async function listedCounts(db: Db): Promise<Record<Status, number>> {
  const counts: Record<Status, number> = { alive: 0, dormant: 0, dead: 0, unknown: 0 };
  for (const r of await countByStatus(db)) counts[r.status] += r.count;
  return counts;
}

/**
 * Each host's number of groups still to check, read page by page (ids and addresses, nothing kept but
 * the counts). Counted here rather than by a GROUP BY: the host is what the URL parser says it is, the
 * same key the HTTP client's limiter uses, which SQL can't work out alike on both databases.
 */
async function countHostsToCheck(db: Db, scanId: number | null): Promise<Record<string, number>> {
  const totals: Record<string, number> = Object.create(null);
  let after: string | null = null;
  for (;;) {
    const page = await scanPage(db, { scanId, after, limit: COUNT_PAGE_ROWS });
    for (const g of page) totals[hostKey(g.url)] = (totals[hostKey(g.url)] ?? 0) + 1;
    if (page.length < COUNT_PAGE_ROWS) return totals;
    after = (page.at(-1) as ScanGroup).id;
  }
}

function countHosts(groups: readonly ScanGroup[]): Record<string, number> {
  const totals: Record<string, number> = Object.create(null);
  for (const g of groups) totals[hostKey(g.url)] = (totals[hostKey(g.url)] ?? 0) + 1;
  return totals;
}

/** A batch split where a group comes again (recordChecks takes one check per group at a time). */
function onePerGroup(batch: PendingCheck[]): PendingCheck[][] {
  const parts: PendingCheck[][] = [[]];
  let seen = new Set<string>();
  for (const p of batch) {
    if (seen.has(p.group.id)) {
      parts.push([]);
      seen = new Set();
    }
    seen.add(p.group.id);
    (parts.at(-1) as PendingCheck[]).push(p);
  }
  return parts.filter((p) => p.length > 0);
}

/** The host a group's check starts on: its scheduling key. */
function hostKey(url: string): string {
  try {
    return new URL(url.trim()).hostname.toLowerCase();
  } catch {
    return "";
  }
}

/** A group to check; `hasChannels` is false when its page's look-up found it has no channel. */
type ToCheck = ScanGroup & { hasChannels?: boolean };

interface Task {
  group: ToCheck;
  host: string;
  /** 429s this group has met in this scan. */
  rateLimited: number;
  /** Its first try timed out without a hedge; this is its one retry. */
  timedOut: boolean;
  /** Not before this time (performance.now()). */
  notBefore: number;
}

/** The next page of groups to check, and whether there may be more. */
type Feed = () => Promise<{ tasks: Task[]; more: boolean }>;

interface DrainOptions {
  /** Checks at work at once; a check waiting on a slow host longer than `lingerMs` stops counting. */
  slots: number;
  lingerMs: number;
  /** Where the groups come from, a page at a time. */
  feed: Feed;
  /** Another page is read when fewer than this many groups wait (or when none of them can start). */
  lowWater: number;
  stop: () => boolean;
  run: (task: Task) => Promise<void>;
}

/**
 * The scan's scheduler: one queue per host, and a check starts only when its host can take a
 * request now, so no worker waits in a host's line while other hosts could go (no head-of-line
 * blocking). Among the hosts that can go, the one with the most groups left goes first: the
 * busiest host sets the scan's length, so it starts at once and never idles. Groups come in pages:
 * the next is read when few wait or none of those waiting can start, and "most groups left" counts
 * those not read yet too (the counts come up front).
 */
class HostQueues {
  /** Hosts with groups waiting in memory (no empty queues). */
  private readonly byHost = new Map<string, Task[]>();
  /** Per host: groups not started yet, waiting here or not read yet. */
  private readonly left: Map<string, number>;
  /**
   * The hosts with groups waiting, by their number left, and those numbers, largest first: picking
   * the busiest host that can go looks at the busiest hosts only, not at every host waiting.
   */
  private readonly ranked = new Map<number, Set<string>>();
  private ranks: number[] = [];
  private waiting = 0;
  private wake: (() => void) | null = null;

  constructor(
    private readonly pacer: HostPacer | undefined,
    hostTotals: Readonly<Record<string, number>>,
  ) {
    this.left = new Map(Object.entries(hostTotals));
  }

  /** A group asked again later (a 429, a timeout): it counts as left again. */
  put(task: Task, front = false): void {
    this.update(task.host, () => {
      this.left.set(task.host, (this.left.get(task.host) ?? 0) + 1);
      this.push(task, front);
    });
    this.wake?.();
  }

  /** A group read from the database (already counted in the host's total). */
  private enqueue(task: Task): void {
    this.update(task.host, () => this.push(task, false));
  }

  private push(task: Task, front: boolean): void {
    let q = this.byHost.get(task.host);
    if (!q) {
      q = [];
      this.byHost.set(task.host, q);
    }
    if (front) q.unshift(task);
    else q.push(task);
    this.waiting++;
  }

  private take(host: string, q: Task[], index: number): Task {
    let task: Task | undefined;
    this.update(host, () => {
      [task] = q.splice(index, 1);
      if (q.length === 0) this.byHost.delete(host);
      this.waiting--;
      const left = (this.left.get(host) ?? 0) - 1;
      if (left > 0) this.left.set(host, left);
      else this.left.delete(host); // most hosts have one group: the map shrinks as the scan goes
    });
    return task as Task;
  }

  /** Applies `change` to a host's queue or count and files the host again under its number left. */
  private update(host: string, change: () => void): void {
    if (this.byHost.has(host)) this.unrank(host, this.left.get(host) ?? 0);
    change();
    if (this.byHost.has(host)) this.rank(host, this.left.get(host) ?? 0);
  }

  private rank(host: string, left: number): void {
    let hosts = this.ranked.get(left);
    if (!hosts) {
      hosts = new Set();
      this.ranked.set(left, hosts);
      const at = this.ranks.findIndex((r) => r < left);
      this.ranks.splice(at < 0 ? this.ranks.length : at, 0, left);
    }
    hosts.add(host);
  }

  private unrank(host: string, left: number): void {
    const hosts = this.ranked.get(left);
    if (!hosts?.delete(host) || hosts.size > 0) return;
    this.ranked.delete(left);
    this.ranks.splice(this.ranks.indexOf(left), 1);
  }

  /**
   * The busiest host's next group that can start now, or null; `wakeIn` learns when one that must
   * wait could go (complete when null is returned: every waiting host was looked at).
   */
  private pick(now: number, wake: { in: number }): { host: string; queue: Task[]; index: number } | null {
    for (const left of this.ranks) {
      for (const host of this.ranked.get(left) ?? []) {
        const q = this.byHost.get(host) as Task[];
        const index = q.findIndex((t) => t.notBefore <= now);
        if (index < 0) {
          wake.in = Math.min(wake.in, Math.min(...q.map((t) => t.notBefore)) - now);
          continue;
        }
        const ready = this.pacer ? this.pacer.readyIn(host) : 0;
        if (ready === null) continue; // busy: the pacer tells us when it frees up
        if (ready > 0) {
          wake.in = Math.min(wake.in, ready);
          continue;
        }
        return { host, queue: q, index };
      }
    }
    return null;
  }

  async drain(o: DrainOptions): Promise<void> {
    let working = 0;
    let running = 0;
    // Slow checks stop counting after lingerMs, but the sockets they hold stay bounded.
    const maxRunning = o.slots * 4;
    let timer: NodeJS.Timeout | null = null;
    let more = true;
    let loading = false;
    let failure: { err: unknown } | null = null;
    let settle: { resolve: () => void; reject: (err: unknown) => void } = {
      resolve: () => {},
      reject: () => {},
    };
    const idle = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    let scheduled = false;
    let finished = false;
    const schedule = () => {
      if (scheduled || finished) return;
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        pump();
      });
    };
    this.wake = schedule;
    const unsubscribe = this.pacer?.subscribe(schedule);

    const load = () => {
      loading = true;
      o.feed()
        .then(
          (page) => {
            more = page.more;
            for (const task of page.tasks) this.enqueue(task);
          },
          (err: unknown) => {
            failure = { err };
            more = false;
          },
        )
        .finally(() => {
          loading = false;
          schedule();
        });
    };

    const start = (task: Task) => {
      working++;
      running++;
      let counted = true;
      const linger = setTimeout(() => {
        counted = false;
        working--;
        schedule();
      }, o.lingerMs);
      void o.run(task).finally(() => {
        clearTimeout(linger);
        if (counted) working--;
        running--;
        schedule();
      });
    };

    const pump = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      const stopping = o.stop() || failure !== null;
      const wake = { in: Number.POSITIVE_INFINITY };
      while (!stopping && working < o.slots && running < maxRunning) {
        const best = this.pick(performance.now(), wake);
        if (!best) break;
        start(this.take(best.host, best.queue, best.index));
      }
      // Nothing waiting could start although a worker is free: read on, other hosts may go now.
      const stuck = working < o.slots && running < maxRunning;
      if (!stopping && more && !loading && (this.waiting < o.lowWater || stuck)) load();
      const over = stopping || (!more && !loading);
      if ((stopping || this.waiting === 0) && over && running === 0) {
        finished = true;
        unsubscribe?.();
        this.wake = null;
        if (failure) settle.reject(failure.err);
        else settle.resolve();
        return;
      }
      if (!stopping && this.waiting > 0 && Number.isFinite(wake.in))
        timer = setTimeout(pump, Math.max(1, Math.ceil(wake.in)));
    };
    pump();
    try {
      await idle;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
