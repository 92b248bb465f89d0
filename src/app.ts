import { type Clock, systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { type Db, openDatabase } from "./db/connect.js";
import type { HttpClient } from "./http/client.js";
import { parseCidrs } from "./http/guard.js";
import { HostLimiter } from "./http/limiter.js";
import { shortestIntervalHours } from "./jobs/scheduler.js";
import { createJobs, type Jobs } from "./jobs/use-cases.js";
import { createProber } from "./liveness/probe.js";
import { createLogger, type Logger } from "./logger.js";
import { inlinePictures, type Pictures } from "./pictures/pictures.js";
import { startRenderProcess } from "./pictures/render-process.js";

/**
 * The one application behind every door. The bot (main.ts), its cron and `/pug-admin`, and every
 * `poick` verb (cli.ts) build exactly this: one database, one HTTP client, one clock and logger,
 * and the use cases with their locks and alert hooks already attached.
 */
export interface App {
  readonly config: Readonly<Config>;
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly jobs: Jobs;
  /** Maps and charts: drawn in this process, or in a renderer process (the bot). */
  readonly pictures: Pictures;
  close(): Promise<void>;
}

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
  /** Where pictures are drawn: "inline" (default: the CLI, tests) or a child "process" (the bot). */
  pictures?: "inline" | "process";
  /** SQLite's page cache (see openDatabase); default: better-sqlite3's 16 MiB. */
  sqliteCacheMiB?: number;
}

export async function createApp(config: Readonly<Config>, o: AppOptions = {}): Promise<App> {
  const clock = o.clock ?? systemClock;
  const logger = o.logger ?? createLogger(config.logLevel, [config.discord.token]);
  const db = await openDatabase(
    config.dbPath,
    o.sqliteCacheMiB === undefined ? {} : { sqliteCacheMiB: o.sqliteCacheMiB },
  );
  const s = config.scan;
  const limiter = buildLimiter(config);
  const http = buildHttpClient(config, clock, limiter);
  const prober = createProber(http);
  const jobs = createJobs({
    db,
    clock,
    logger,
    http,
    maxListingBytes: config.maxListingBytes,
    wikiUrl: config.wikiUrl,
    scan: {
      prober,
      pacer: limiter,
      settings: {
        deadAfterChecks: s.deadAfterChecks,
        deadAfterHours: s.deadAfterHours,
        dormantAfterDays: s.dormantAfterDays,
        canaryUrls: s.canaryUrls,
        concurrency: s.concurrency,
        // The wiki's own pages are followed to the website they name, never judged as the group's site.
        wikiHosts: [...new Set([new URL(config.wikiUrl).hostname, "wiki.python.org"])],
        checkDeadlineMs: s.checkDeadlineMs,
        // Admin rescans count at most one failure per scheduled scan interval (POICK_SCAN_CRON's).
        scanWindowHours:
          shortestIntervalHours(config.schedule.scanCron, config.schedule.timezone) ?? undefined,
      },
    },
  });
  const pictures =
    o.pictures === "process"
      ? startRenderProcess({
          logger,
          idleMs: config.render.idleMs,
          timeoutMs: config.render.timeoutMs,
          maxMemoryMb: config.render.maxMemoryMb,
          atlasDir: config.dataDir,
        })
      : inlinePictures({ atlasDir: config.dataDir });
  let closed = false;
  return {
    config,
    db,
    clock,
    logger,
    jobs,
    pictures,
    async close() {
      if (closed) return;
      closed = true;
      await pictures.close();
      await http.close();
      await db.destroy();
    },
  };
}

/** Per-host politeness for the process: an adaptive pace per host under the configured ceiling. */
export function buildLimiter(config: Readonly<Config>): HostLimiter {
  const s = config.scan;
  return new HostLimiter({
    // The scan keeps `concurrency` checks at work; checks waiting on slow or hanging hosts stop
    // counting there (up to 4× as many run), and soft-failure re-checks run beside them: requests
    // in flight, mostly idle sockets, may reach several times `concurrency`.
    concurrency: s.concurrency * 8,
    perHostConcurrency: s.hostConcurrency,
    perHostPerSecond: s.hostRatePerSecond,
    startPerSecond: Math.min(s.hostRateStartPerSecond, s.hostRatePerSecond),
  });
}

/**
 * The process's one HTTP client: guard, proxy, timeouts, caps and politeness from the config. It is
 * built on the first request: only scans and syncs use it, and its modules (undici, cheerio for HTML
 * redirect stubs, tldts) are ~40 MiB that a bot which is not the leader, or not scanning yet, never needs.
 */
export function buildHttpClient(
  config: Readonly<Config>,
  clock: Clock,
  limiter: HostLimiter = buildLimiter(config),
): HttpClient {
  const s = config.scan;
  let client: Promise<HttpClient> | null = null;
  const make = async (): Promise<HttpClient> =>
    (await import("./http/client.js")).createHttpClient({
      limiter,
      userAgent: config.userAgent,
      connectTimeoutMs: s.connectTimeoutMs,
      headersTimeoutMs: s.timeoutMs,
      bodyTimeoutMs: s.bodyTimeoutMs,
      maxBodyBytes: s.maxBodyBytes,
      allowNets: parseCidrs(s.allowNets),
      proxy: config.proxy,
      clock,
      retries: s.retries,
    });
  return {
    async get(url, opts) {
      client ??= make();
      return (await client).get(url, opts);
    },
    async close() {
      const made = await client?.catch(() => null);
      await made?.close();
    },
  };
}
