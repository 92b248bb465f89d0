import { type Clock, isoNow } from "../clock.js";
import type { Db } from "../db/connect.js";
import { getGroupById, listActiveGroups, listChannels } from "../db/groups.js";
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

export interface ScanDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Rate limits (global and per host) live inside the prober, on every request and redirect hop. */
  prober: Prober;
  settings: ScanSettings;
  onTransition?: OnTransition;
  /** Waits between a first check's soft-failure retries (tests pass one that moves a fake clock). */
  sleep?: (ms: number) => Promise<void>;
}

export interface ScanProgress {
  done: number;
  total: number;
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
    }
  | { kind: "offline"; message: string; canaries: { url: string; error: string | null }[] }
  | { kind: "not_found"; message: string }
  | { kind: "stopped"; message: string };

/** A scan killed more than this long ago starts over instead of resuming. */
const RESUME_WINDOW_MS = 12 * 3_600_000;
const DEFAULT_SOFT_HOLD_MS = 20_000;
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** When a check fails at the network level, the canary is re-asked at most this often. */
const CANARY_TTL_MS = 15_000;

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

/**
 * Probe one group's site (and its feeds), and judge it. Pure of the database.
 * Feeds are read for reachable pages (dates decide alive vs dormant) and also for inconclusive ones:
 * a meetup page behind a bot wall whose calendar still lists events is alive.
 */
export async function judgeGroup(
  deps: Pick<ScanDeps, "prober" | "clock" | "settings">,
  group: { url: string; name?: string | null; channels?: readonly { kind: string; url: string }[] },
): Promise<{ probe: ProbeResult; verdict: Verdict }> {
  const judged = await judgeWebsite(deps, group);
  if (judged.verdict.status !== "dead" || !group.channels) return judged;
  // The website is gone, but the group may still meet: a Meetup group or a mailing-list archive that
  // shows recent activity is evidence of life, and the group is judged by it (no death alert).
  for (const channel of group.channels.filter((c) => showsActivity(c.kind as ChannelKind)).slice(0, 2)) {
    const other = await judgeWebsite(deps, { url: channel.url, name: group.name ?? null });
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
): Promise<{ probe: ProbeResult; verdict: Verdict }> {
  // One deadline for the whole check: the wiki hop, the page with its redirects and retries, its feeds.
  const ms = deps.settings.checkDeadlineMs;
  const within: ProbeRequestOptions = ms ? { signal: AbortSignal.timeout(ms) } : {};
  if (!isWikiPage(group.url, deps.settings.wikiHosts))
    return judgeSite(deps, { ...group, viaWiki: null }, within);
  // A link to the wiki's own page for the group: one hop to the website that page names.
  const wikiProbe = await deps.prober.probe(group.url, within);
  const wiki = readWikiGroupPage(wikiProbe, deps.settings.wikiHosts);
  if (wiki.kind === "site")
    return judgeSite(deps, { url: wiki.website, name: group.name, viaWiki: group.url }, within);
  if (wiki.kind === "unreachable") return judgeSite(deps, { ...group, viaWiki: null }, within);
  return {
    probe: wikiProbe,
    verdict: plainVerdict("no_website", { httpStatus: wikiProbe.status, wikiPage: group.url, why: wiki.why }),
  };
}

async function judgeSite(
  deps: Pick<ScanDeps, "prober" | "clock" | "settings">,
  group: { url: string; name?: string | null; viaWiki: string | null },
  within: ProbeRequestOptions,
): Promise<{ probe: ProbeResult; verdict: Verdict }> {
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
  const first = judge(null);
  if (first.status === "dead") return { probe, verdict: first };
  const ok = probe.status !== null && probe.status >= 200 && probe.status < 300;
  const page = extractActivity({
    body: ok && probe.body ? probe.body : "",
    contentType: ok ? probe.contentType : "text/html",
    url: probe.finalUrl ?? url,
    now,
  });
  let activity = page;
  for (const feed of page.feeds.slice(0, 2)) {
    if (within.signal?.aborted) break;
    const f = await prober.probe(feed, within);
    if (f.status !== null && f.status >= 200 && f.status < 300 && f.body) {
      activity = mergeActivity(
        activity,
        extractActivity({ body: f.body, contentType: f.contentType, url: f.finalUrl ?? feed, now }),
      );
    }
  }
  return { probe, verdict: judge(activity) };
}

/**
 * Checks every listed group (or the chosen ones), judges each and folds the verdict into its
 * state with hysteresis. Never cries wolf: if the internet looks down from here, nothing changes.
 */
export async function scanGroups(deps: ScanDeps, req: ScanRequest = {}): Promise<ScanOutcome> {
  const { db, clock, logger, prober, settings } = deps;

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
  let canaryCheckedAt = clock.now().getTime();
  let canaryPending: Promise<boolean> | null = null;
  let offline = false;
  const stillOnline = async (): Promise<boolean> => {
    if (clock.now().getTime() - canaryCheckedAt < CANARY_TTL_MS) return !offline;
    canaryPending ??= checkCanaries(prober, settings.canaryUrls).then((c) => {
      canaryCheckedAt = clock.now().getTime();
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
  const results: CheckedGroup[] = [];
  const transitions: { id: string; name: string; transition: Exclude<Transition, null> }[] = [];

  const hold = settings.firstCheckSoftHoldMs ?? DEFAULT_SOFT_HOLD_MS;
  const sleep = deps.sleep ?? realSleep;
  const softRetries: Promise<void>[] = [];
  const windowMs = (settings.scanWindowHours ?? 6) * 3_600_000;

  /**
   * A group never judged before that fails softly (5xx, refused, reset) is checked again later in
   * the scan, half-way through the hold and at its end, so the retries overlap the rest of the
   * scan; only a failure that held for the whole hold makes it dead.
   */
  const withChannels = async (g: GroupRow) => ({
    url: g.url,
    name: g.name,
    channels: await listChannels(db, g.id),
  });

  const retryLater = (g: GroupRow, firstAt: number) => {
    const task = (async () => {
      for (const due of [firstAt + hold / 2, firstAt + hold]) {
        const wait = due - clock.now().getTime();
        if (wait > 0) await sleep(wait);
        if (offline) return;
        const again = await judgeGroup(deps, await withChannels(g));
        const held = clock.now().getTime() - firstAt;
        if (!(again.verdict.status === "dead" && SOFT_FAILURES.has(again.verdict.reason)) || held >= hold) {
          await checkOne(g, { firstAt, result: again });
          return;
        }
      }
      await checkOne(g, { firstAt });
    })().catch((err) => logger.error({ err, group: g.id }, "retry failed unexpectedly"));
    softRetries.push(task);
  };

  const checkOne = async (
    g: GroupRow,
    retry?: { firstAt: number; result?: { probe: ProbeResult; verdict: Verdict } },
  ) => {
    const { probe, verdict } = retry?.result ?? (await judgeGroup(deps, await withChannels(g)));
    if (
      verdict.status === "dead" &&
      probe.error &&
      NETWORK_FAILURES.has(probe.error.code) &&
      !(await stillOnline())
    ) {
      return; // our network went away mid-scan: this failure says nothing about the group
    }
    const soft = verdict.status === "dead" && SOFT_FAILURES.has(verdict.reason);
    const firstJudgement = g.ever_alive === 0 && g.status !== "dead";
    const firstAt = retry?.firstAt ?? clock.now().getTime();
    const heldMs = clock.now().getTime() - firstAt;
    if (soft && firstJudgement && heldMs < hold && !retry) {
      retryLater(g, firstAt);
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
    req.onProgress?.({ done: completed, total, group: g, verdict, status: written.after.status });
  };

  let next = 0;
  const worker = async () => {
    while (next < todo.length && !offline && !req.signal?.aborted) {
      const g = todo[next++] as GroupRow;
      try {
        await checkOne(g);
      } catch (err) {
        logger.error({ err, group: g.id }, "check failed unexpectedly; the group keeps its status");
      }
    }
  };
  // More workers than request slots: a worker waiting out a retry back-off holds no slot (the prober's
  // limiter caps requests in flight), so slow hosts don't stall the scan.
  const workers = Math.min(settings.concurrency * 4, Math.max(1, todo.length));
  await Promise.all(Array.from({ length: workers }, worker));
  while (softRetries.length > 0) await Promise.all(softRetries.splice(0));

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
  };
}
