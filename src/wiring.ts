import type { Clock } from "./clock.js";
import type { Config } from "./config.js";
import type { Db } from "./db/connect.js";
import type { ScanDeps } from "./jobs/scan.js";
import { parseCidrs } from "./liveness/guard.js";
import { HostLimiter } from "./liveness/limiter.js";
import { createProber } from "./liveness/probe.js";
import type { Logger } from "./logger.js";

/** Builds the scanner's network side from the config: one prober and one host limiter per process. */
export function buildScanDeps(
  config: Readonly<Config>,
  db: Db,
  clock: Clock,
  logger: Logger,
  extra: Partial<Pick<ScanDeps, "onTransition">> = {},
): ScanDeps & { close(): Promise<void> } {
  const s = config.scan;
  const limiter = new HostLimiter({
    concurrency: s.concurrency,
    perHostConcurrency: s.hostConcurrency,
    perHostPerSecond: s.hostRatePerSecond,
  });
  const prober = createProber({
    limiter,
    userAgent: config.userAgent,
    timeoutMs: s.timeoutMs,
    maxBodyBytes: s.maxBodyBytes,
    allowNets: parseCidrs(s.allowNets),
    proxy: config.proxy,
    clock,
    retries: s.retries,
  });
  return {
    db,
    clock,
    logger,
    prober,
    settings: {
      deadAfterChecks: s.deadAfterChecks,
      deadAfterHours: s.deadAfterHours,
      dormantAfterDays: s.dormantAfterDays,
      canaryUrls: s.canaryUrls,
      concurrency: s.concurrency,
    },
    ...extra,
    close: () => prober.close(),
  };
}
