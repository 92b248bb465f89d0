import type { Clock } from "../clock.js";
import type { Db } from "../db/connect.js";
import { getJobRun, getLock } from "../db/locks.js";
import type { HttpClient } from "../http/client.js";
import type { Logger } from "../logger.js";
import { queueDigests, queueStatusBoards, wireAlerts } from "./alert-hooks.js";
import { withJobLock } from "./lock.js";
import type { ScanDeps, ScanOutcome, ScanProgress } from "./scan.js";
import type { SyncOutcome } from "./sync.js";

/**
 * The scanner and the listing readers (cheerio, chrono-node, markdown-it and their data, ~50 MiB) are
 * loaded when a scan or sync first runs: a bot process answers commands for hours before its schedule
 * (if it leads at all) needs them.
 */
const scanGroups: typeof import("./scan.js").scanGroups = async (...a) =>
  (await import("./scan.js")).scanGroups(...a);
const syncGroups: typeof import("./sync.js").syncGroups = async (...a) =>
  (await import("./sync.js")).syncGroups(...a);

export type Busy = { kind: "busy" };
export type JobName = "scan" | "sync";

export interface SyncOptions {
  /** Another URL or a local file instead of the configured listing. */
  source?: string;
  /** Ignore ETag / Last-Modified and refetch. */
  force?: boolean;
}

/**
 * The use cases behind every door (cron, `/pug-admin`, the `poick` CLI). Each takes the job lock and
 * runs the alert hooks itself, so no caller can start a scan or sync that stays silent.
 */
export interface Jobs {
  scanAll(onProgress?: (p: ScanProgress) => void): Promise<ScanOutcome | Busy>;
  scanOne(groupId: string): Promise<ScanOutcome | Busy>;
  sync(opts?: SyncOptions): Promise<SyncOutcome | Busy>;
  /** Queues this week's digests for the servers that asked for one. */
  digest(): Promise<number>;
  isRunning(job: JobName): Promise<boolean>;
  lastRun(
    job: JobName,
  ): Promise<{ startedAt: string | null; finishedAt: string | null; result: string | null }>;
  /** Next planned run, when this process runs the schedule. */
  nextRun(job: JobName): Date | null;
  /** Called whenever a job may have queued alerts (the bot's dispatcher listens to deliver at once). */
  onQueued(listener: () => void): void;
  /** The scheduler tells the jobs when they run next. */
  setSchedule(next: (job: JobName) => Date | null): void;
}

export interface JobsDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** The scanner's network side and settings; hooks are added here, never by callers. */
  scan: Omit<ScanDeps, "db" | "clock" | "logger" | "onTransition">;
  /** The process's HTTP client (the listing is fetched with the scans' guard, proxy and CA). */
  http: Pick<HttpClient, "get">;
  /** POICK_MAX_LISTING_BYTES: largest listing read over the network. */
  maxListingBytes?: number;
  wikiUrl: string;
}

const scanResult = (o: ScanOutcome) =>
  o.kind === "done" ? `done: ${o.counts.alive}/${o.checked + o.skipped} alive` : o.kind;

export function createJobs(d: JobsDeps): Jobs {
  const { db, clock, logger } = d;
  const hooks = wireAlerts(clock);
  const scanDeps: ScanDeps = { ...d.scan, db, clock, logger, onTransition: hooks.onTransition };
  const running = { scan: false, sync: false };
  const listeners: (() => void)[] = [];
  let schedule: (job: JobName) => Date | null = () => null;
  const queued = () => {
    for (const l of listeners) l();
  };

  /** One run of a job at a time: in this process (a flag) and across processes (the lock row). */
  async function exclusive<T>(
    job: JobName,
    fn: (signal: AbortSignal) => Promise<T>,
    result: (v: T) => string,
  ): Promise<T | Busy> {
    if (running[job]) return { kind: "busy" };
    running[job] = true;
    try {
      const r = await withJobLock(db, clock, job, fn, { result, logger });
      return r.kind === "busy" ? r : r.value;
    } finally {
      running[job] = false;
      queued();
    }
  }

  return {
    scanAll: (onProgress) =>
      exclusive(
        "scan",
        async (signal) => {
          const outcome = await scanGroups(scanDeps, { onProgress, signal });
          if (outcome.kind === "done")
            await queueStatusBoards(db, clock, `scan-${outcome.scanId ?? clock.now().toISOString()}`);
          return outcome;
        },
        scanResult,
      ),
    async scanOne(groupId) {
      // A one-group check takes its own lock: two admins rescanning the same group can't race.
      const r = await withJobLock(
        db,
        clock,
        `scan:${groupId}`,
        (signal) => scanGroups(scanDeps, { groupIds: [groupId], signal }),
        { logger },
      );
      queued();
      return r.kind === "busy" ? r : r.value;
    },
    sync: (opts = {}) =>
      exclusive(
        "sync",
        () =>
          syncGroups(
            {
              db,
              clock,
              logger,
              http: d.http,
              ...(d.maxListingBytes !== undefined && { maxListingBytes: d.maxListingBytes }),
              afterWrite: hooks.afterSync,
            },
            { source: opts.source ?? d.wikiUrl, force: opts.force },
          ),
        (o) => o.kind,
      ),
    async digest() {
      const n = await queueDigests(db, clock);
      queued();
      return n;
    },
    async isRunning(job) {
      if (running[job]) return true;
      const lock = await getLock(db, job);
      return Boolean(lock && lock.expires_at > clock.now().toISOString());
    },
    async lastRun(job) {
      const r = await getJobRun(db, job);
      return {
        startedAt: r?.last_started_at ?? null,
        finishedAt: r?.last_finished_at ?? null,
        result: r?.last_result ?? null,
      };
    },
    nextRun: (job) => schedule(job),
    onQueued: (l) => void listeners.push(l),
    setSchedule: (next) => {
      schedule = next;
    },
  };
}
