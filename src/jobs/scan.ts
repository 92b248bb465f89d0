import { performance } from "node:perf_hooks";
import { type Clock, isoNow } from "../clock.js";
import type { Db } from "../db/connect.js";
import { getGroupById, listActiveGroups, listChannels } from "../db/groups.js";
import { loadHostRates, type StoredHostRate, saveHostRates } from "../db/host-rates.js";
import {
  finishScan,
  type GroupStateWrite,
  hasAnyCheck,
  insertEvent,
  recentChecks,
  recordCheck,
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
import { isWikiPage, readWikiGroupPage } from "../liveness/wiki-link.js";
import type { Logger } from "../logger.js";
import { showsActivity } from "../sources/channels.js";
import type { ChannelKind } from "../sources/types.js";

export type { Prober };

export interface ScanSettings extends HysteresisConfig {
  dormantAfterDays: number;
  canaryUrls: readonly string[];
  concurrency: number;
  /** Admin rescans add at most one failure per this many hours (default 6, the default scan interval). */
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
}

export interface ScanProgress {
  done: number;
  total: number;
  /** The host the group's check started on, and how many groups of this scan each host has. */
  host: string;
  hostTotals: Readonly<Record<string, number>>;
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
      counts: Record<Status, number>;
      transitions: { id: string; name: string; transition: Exclude<Transition, null> }[];
      groups: CheckedGroup[];
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
/** How a scan asks: it retries timeouts and 429s itself, later, without holding a worker. */
const SCAN_REQUESTS: ProbeRequestOptions = { retryTimeout: false, retryRateLimited: false };
/**
 * A group never judged before is asked again through the soft-failure hold (half-way and at its
 * end) if it fails softly: those re-checks are its retries, so no request retries on its own.
 */
const FIRST_JUDGEMENT_REQUESTS: ProbeRequestOptions = { ...SCAN_REQUESTS, retries: 0 };
const isFirstJudgement = (g: GroupRow) => g.ever_alive === 0 && g.status !== "dead";

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

/**
 * Checks every listed group (or the chosen ones), judges each and folds the verdict into its
 * state with hysteresis. Never cries wolf: if the internet looks down from here, nothing changes.
 */
export async function scanGroups(deps: ScanDeps, req: ScanRequest = {}): Promise<ScanOutcome> {
  const { db, clock, logger, settings, pacer } = deps;
  const wallStart = performance.now();
  const before = pacer?.stats();

  let groups: GroupRow[];
  if (req.groupIds) {
    groups = [];
    for (const id of req.groupIds) {
      const g = await getGroupById(db, id);
      if (g) groups.push(g);
    }
    if (groups.length === 0) return { kind: "not_found", message: "No such group." };
  } else {
    groups = await listActiveGroups(db);
  }

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
  let done = new Set<string>();
  const firstScan = !(await hasAnyCheck(db));
  if (!req.groupIds) {
    const s = await startOrResumeScan(
      db,
      now0,
      new Date(clock.now().getTime() - RESUME_WINDOW_MS).toISOString(),
      groups.length,
    );
    scanId = s.scanId;
    resumed = s.resumed;
    done = s.done;
    if (resumed) logger.info({ scanId, already: done.size }, "resuming an interrupted scan");
  }
  const todo = groups.filter((g) => !done.has(g.id));
  const total = groups.length;
  let completed = done.size;
  let deferred = 0;
  const results: CheckedGroup[] = [];
  const transitions: { id: string; name: string; transition: Exclude<Transition, null> }[] = [];
  const hostTotals: Record<string, number> = {};
  for (const g of todo) hostTotals[hostKey(g.url)] = (hostTotals[hostKey(g.url)] ?? 0) + 1;

  const hold = settings.firstCheckSoftHoldMs ?? DEFAULT_SOFT_HOLD_MS;
  const sleep = deps.sleep ?? realSleep;
  const softRetries: Promise<void>[] = [];
  const windowMs = (settings.scanWindowHours ?? 6) * 3_600_000;

  /**
   * A group never judged before that fails softly (5xx, refused, reset) is checked again later in
   * the scan, half-way through the hold and at its end, so the retries overlap the rest of the
   * scan; only a failure that held for the whole hold makes it dead. These re-asks are fresh (not
   * from the scan's memory): here the verdict issue's retry window wins over fewest requests.
   */
  // Channels are read only when the website is dead: the request goes out at once, while the
  // scheduler still knows the host can take it.
  const withChannels = (g: GroupRow) => ({
    url: g.url,
    name: g.name,
    channels: () => listChannels(db, g.id),
  });

  const retryLater = (g: GroupRow, firstAt: number, first: Judged) => {
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
    })().catch((err) => logger.error({ err, group: g.id }, "retry failed unexpectedly"));
    softRetries.push(task);
  };

  const checkOne = async (g: GroupRow, judged: Judged, retry?: { firstAt: number }) => {
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
    let transition: Transition = null;
    const written = await recordCheck(
      db,
      {
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
      (current): GroupStateWrite => {
        const step = applyVerdict(stateOf(current), { ...verdict, heldMs }, at, settings, { countFailure });
        transition = step.transition;
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
      async (trx, before) => {
        if (!transition) return;
        await insertEvent(trx, { groupId: g.id, kind: transition, at, detail: { reason: verdict.reason } });
        await deps.onTransition?.(trx, { group: before, transition, verdict, at, firstScan });
      },
    );
    if (!written) return;
    completed++;
    results.push({ id: g.id, name: g.name, status: written.after.status, verdict, transition });
    if (transition) transitions.push({ id: g.id, name: g.name, transition });
    req.onProgress?.({
      done: completed,
      total,
      host: hostKey(g.url),
      hostTotals,
      group: g,
      verdict,
      status: written.after.status,
    });
  };

  /** One try at a group: a 429 or a first timeout puts it back in its host's queue for later. */
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
    if (judged.probe.error?.code === "timeout" && !task.timedOut) {
      // Its one retry goes back to the front of its host's queue and runs while the scan goes on.
      queue.put({ ...task, timedOut: true, notBefore: performance.now() + 500 }, true);
      return;
    }
    await checkOne(task.group, judged);
  };

  const queue = new HostQueues(pacer);
  for (const g of todo)
    queue.put({ group: g, host: hostKey(g.url), rateLimited: 0, timedOut: false, notBefore: 0 });
  await queue.drain({
    slots: Math.max(1, settings.concurrency),
    lingerMs: LINGER_MS,
    stop: () => offline || !!req.signal?.aborted,
    run: (task) =>
      attempt(task).catch((err) =>
        logger.error({ err, group: task.group.id }, "check failed unexpectedly; the group keeps its status"),
      ),
  });
  while (softRetries.length > 0) await Promise.all(softRetries.splice(0));

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

  const counts: Record<Status, number> = { alive: 0, dormant: 0, dead: 0, unknown: 0 };
  const final = req.groupIds
    ? results.map((r) => r.status)
    : (await listActiveGroups(db)).map((g) => g.status);
  for (const s of final) counts[s]++;
  const after = pacer?.stats();
  const requests = before && after ? after.requests - before.requests : prober.misses;
  return {
    kind: "done",
    scanId,
    resumed,
    checked: results.length,
    skipped: done.size,
    total,
    counts,
    transitions,
    groups: results,
    figures: {
      requests,
      requestsPerGroup: results.length ? Math.round((100 * requests) / results.length) / 100 : 0,
      rateLimited: before && after ? after.rateLimited - before.rateLimited : 0,
      deferred,
      reused: prober.hits,
      peakPerHostPerSecond: after?.peakPerSecond ?? 0,
      wallMs: Math.round(performance.now() - wallStart),
    },
  };
}

/** The host a group's check starts on: its scheduling key. */
function hostKey(url: string): string {
  try {
    return new URL(url.trim()).hostname.toLowerCase();
  } catch {
    return "";
  }
}

interface Task {
  group: GroupRow;
  host: string;
  /** 429s this group has met in this scan. */
  rateLimited: number;
  /** Its first try timed out; this is its one retry. */
  timedOut: boolean;
  /** Not before this time (performance.now()). */
  notBefore: number;
}

interface DrainOptions {
  /** Checks at work at once; a check waiting on a slow host longer than `lingerMs` stops counting. */
  slots: number;
  lingerMs: number;
  stop: () => boolean;
  run: (task: Task) => Promise<void>;
}

/**
 * The scan's scheduler: one queue per host, and a check starts only when its host can take a
 * request now, so no worker waits in a host's line while other hosts could go (no head-of-line
 * blocking). Among the hosts that can go, the one with the most groups left goes first: the
 * busiest host sets the scan's length, so it starts at once and never idles.
 */
class HostQueues {
  private readonly byHost = new Map<string, Task[]>();
  private wake: (() => void) | null = null;

  constructor(private readonly pacer: HostPacer | undefined) {}

  put(task: Task, front = false): void {
    let q = this.byHost.get(task.host);
    if (!q) {
      q = [];
      this.byHost.set(task.host, q);
    }
    if (front) q.unshift(task);
    else q.push(task);
    this.wake?.();
  }

  async drain(o: DrainOptions): Promise<void> {
    let working = 0;
    let running = 0;
    // Slow checks stop counting after lingerMs, but the sockets they hold stay bounded.
    const maxRunning = o.slots * 4;
    let timer: NodeJS.Timeout | null = null;
    let resolveIdle: () => void = () => {};
    const idle = new Promise<void>((resolve) => {
      resolveIdle = resolve;
    });
    let scheduled = false;
    const schedule = () => {
      if (scheduled) return;
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        pump();
      });
    };
    this.wake = schedule;
    const unsubscribe = this.pacer?.subscribe(schedule);

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
      const stopping = o.stop();
      let wakeIn = Number.POSITIVE_INFINITY;
      while (!stopping && working < o.slots && running < maxRunning) {
        const now = performance.now();
        let best: { task: Task; queue: Task[]; index: number } | null = null;
        for (const q of this.byHost.values()) {
          if (q.length === 0) continue;
          const index = q.findIndex((t) => t.notBefore <= now);
          if (index < 0) {
            wakeIn = Math.min(wakeIn, Math.min(...q.map((t) => t.notBefore)) - now);
            continue;
          }
          if (best && q.length <= best.queue.length) continue;
          const task = q[index] as Task;
          const ready = this.pacer ? this.pacer.readyIn(task.host) : 0;
          if (ready === null) continue; // busy: the pacer tells us when it frees up
          if (ready > 0) {
            wakeIn = Math.min(wakeIn, ready);
            continue;
          }
          best = { task, queue: q, index };
        }
        if (!best) break;
        best.queue.splice(best.index, 1);
        start(best.task);
      }
      const left = stopping ? 0 : [...this.byHost.values()].reduce((n, q) => n + q.length, 0);
      if (left === 0 && running === 0) {
        unsubscribe?.();
        this.wake = null;
        resolveIdle();
        return;
      }
      if (left > 0 && Number.isFinite(wakeIn)) timer = setTimeout(pump, Math.max(1, Math.ceil(wakeIn)));
    };
    pump();
    await idle;
    if (timer) clearTimeout(timer);
  }
}
