import type { Clock } from "../clock.js";
import type { Db } from "../db/connect.js";
import { getJobRun, getLock } from "../db/locks.js";
import type { Logger } from "../logger.js";
import { withJobLock } from "./lock.js";
import { type ScanDeps, type ScanOutcome, type ScanProgress, scanGroups } from "./scan.js";
import { type SyncDeps, type SyncOutcome, syncGroups } from "./sync.js";

export type Busy = { kind: "busy" };

/** The use cases behind cron, `/pug-admin` and the CLI: one code path, one lock per job. */
export interface AdminJobs {
  scanAll(onProgress?: (p: ScanProgress) => void): Promise<ScanOutcome | Busy>;
  scanOne(groupId: string): Promise<ScanOutcome>;
  sync(opts?: { force?: boolean }): Promise<SyncOutcome | Busy>;
  isRunning(job: "scan" | "sync"): Promise<boolean>;
  lastRun(
    job: "scan" | "sync",
  ): Promise<{ startedAt: string | null; finishedAt: string | null; result: string | null }>;
  /** Next planned run, if a scheduler is attached. */
  nextRun(job: "scan" | "sync"): Date | null;
}

export interface AdminJobsDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  scan: ScanDeps;
  sync: SyncDeps;
  wikiUrl: string;
  nextRun?: (job: "scan" | "sync") => Date | null;
  /** Called after a full scan finished (status boards). */
  afterScan?: (outcome: ScanOutcome) => Promise<void>;
  /** Called after any run that may have queued alerts. */
  afterRun?: () => void;
}

const scanResult = (o: ScanOutcome) =>
  o.kind === "done" ? `done: ${o.counts.alive}/${o.checked + o.skipped} alive` : o.kind;

export function createAdminJobs(d: AdminJobsDeps): AdminJobs {
  const local = { scan: false, sync: false };
  return {
    async scanAll(onProgress) {
      if (local.scan) return { kind: "busy" };
      local.scan = true;
      try {
        const r = await withJobLock(
          d.db,
          d.clock,
          "scan",
          async () => {
            const outcome = await scanGroups(d.scan, { onProgress });
            if (outcome.kind === "done") await d.afterScan?.(outcome);
            return outcome;
          },
          { result: scanResult },
        );
        return r.kind === "busy" ? r : r.value;
      } finally {
        local.scan = false;
        d.afterRun?.();
      }
    },
    async scanOne(groupId) {
      try {
        return await scanGroups(d.scan, { groupIds: [groupId] });
      } finally {
        d.afterRun?.();
      }
    },
    async sync(opts = {}) {
      if (local.sync) return { kind: "busy" };
      local.sync = true;
      try {
        const r = await withJobLock(
          d.db,
          d.clock,
          "sync",
          () => syncGroups(d.sync, { source: d.wikiUrl, force: opts.force }),
          { result: (o) => o.kind },
        );
        return r.kind === "busy" ? r : r.value;
      } finally {
        local.sync = false;
        d.afterRun?.();
      }
    },
    async isRunning(job) {
      if (local[job]) return true;
      const lock = await getLock(d.db, job);
      return Boolean(lock && lock.expires_at > d.clock.now().toISOString());
    },
    async lastRun(job) {
      const r = await getJobRun(d.db, job);
      return {
        startedAt: r?.last_started_at ?? null,
        finishedAt: r?.last_finished_at ?? null,
        result: r?.last_result ?? null,
      };
    },
    nextRun: (job) => d.nextRun?.(job) ?? null,
  };
}
