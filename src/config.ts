import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Every setting Poick reads, from the environment (and a `.env` file beside the
 * working directory). Nothing else in the code base touches `process.env`.
 */
export interface Config {
  /** The SQLite file (POICK_DB), or a postgres:// URL when DATABASE_URL is set (it wins). */
  readonly dbPath: string;
  /**
   * Where Poick keeps files it prepares for itself (the maps' atlas): POICK_DB's directory, also when
   * DATABASE_URL is set; null when POICK_DB is ":memory:" or a postgres:// URL.
   */
  readonly dataDir: string | null;
  readonly logLevel: string;
  readonly wikiUrl: string;
  readonly userAgent: string;
  readonly discord: {
    readonly token: string | undefined;
    readonly appId: string | undefined;
    readonly guildId: string | undefined;
    readonly apiUrl: string | undefined;
    readonly registerOnStart: boolean;
    /** POICK_SHARDS: run this many shards (or Discord's recommendation, "auto") under a ShardingManager. */
    readonly shards: number | "auto" | null;
    /** Set in a shard started by the manager (discord.js marks its children with SHARDING_MANAGER). */
    readonly isShard: boolean;
    /** A leader that stops renewing is replaced after this long (POICK_LEADER_TTL_MS). */
    readonly leaderTtlMs: number;
  };
  readonly scan: {
    readonly deadAfterChecks: number;
    readonly deadAfterHours: number;
    readonly dormantAfterDays: number;
    readonly canaryUrls: readonly string[];
    readonly allowNets: readonly string[];
    readonly concurrency: number;
    readonly hostConcurrency: number;
    /** The ceiling: never more requests per second to one host (POICK_HOST_RATE). */
    readonly hostRatePerSecond: number;
    /** Where an unknown host's pace starts before it rises towards the ceiling (POICK_HOST_RATE_START). */
    readonly hostRateStartPerSecond: number;
    /** Waiting for an answer's headers (POICK_TIMEOUT_MS). */
    readonly timeoutMs: number;
    readonly connectTimeoutMs: number;
    readonly bodyTimeoutMs: number;
    /** One deadline per group check: all hops, retries and feeds. */
    readonly checkDeadlineMs: number;
    readonly maxBodyBytes: number;
    readonly retries: number;
  };
  /** Largest wiki listing read over the network (a local file is read whatever its size). */
  readonly maxListingBytes: number;
  readonly proxy: {
    readonly http: string | undefined;
    readonly https: string | undefined;
    readonly noProxy: string | undefined;
  };
  readonly dispatch: {
    readonly intervalMs: number;
    readonly leaseMs: number;
  };
  /** The bot's renderer process (maps and charts). */
  readonly render: {
    /** It exits after this long without a picture to draw (POICK_RENDER_IDLE_MS). */
    readonly idleMs: number;
    /** One picture's deadline; a renderer that takes longer is killed (POICK_RENDER_TIMEOUT_MS). */
    readonly timeoutMs: number;
    /** Its heap cap, and the size after a picture above which it is replaced (POICK_RENDER_MAX_MB). */
    readonly maxMemoryMb: number;
  };
  readonly schedule: {
    readonly syncCron: string;
    readonly scanCron: string;
    readonly digestCron: string;
    readonly timezone: string;
  };
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

/** Parses KEY=value lines; `#` comments, optional quotes, no interpolation. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2] ?? "";
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2] ?? "";
    else value = value.replace(/\s+#.*$/, "");
    out[m[1] as string] = value;
  }
  return out;
}

const HOMEPAGE = "https://github.com/poick/poick";
/** The page since the wiki moved to Sphinx (2026); the old /moin/ address answers with a redirect stub. */
export const DEFAULT_WIKI_URL = "https://wiki.python.org/python/community/LocalUserGroups.html";

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}".`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}.`);
  return n;
}

function num(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new ConfigError(`${name} must be a number, got "${raw}".`);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}.`);
  return n;
}

function list(env: Env, name: string, fallback: readonly string[]): readonly string[] {
  const raw = env[name];
  if (raw === undefined) return fallback;
  return Object.freeze(
    raw
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

function str(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === "") return fallback;
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new ConfigError(`${name} must be 1 or 0 (true or false), got "${env[name]}".`);
}

function snowflake(env: Env, name: string): string | undefined {
  const v = str(env, name);
  if (v !== undefined && !/^\d{15,21}$/.test(v)) {
    throw new ConfigError(`${name} must be a Discord id (digits only), got "${v}".`);
  }
  return v;
}

function httpUrl(env: Env, name: string, fallback: string | undefined): string | undefined {
  const v = str(env, name) ?? fallback;
  if (v === undefined) return undefined;
  try {
    const u = new URL(v);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${v}".`);
  }
  return v;
}

function shards(env: Env): number | "auto" | null {
  const raw = str(env, "POICK_SHARDS");
  if (raw === undefined || raw === "" || raw === "0") return null;
  if (raw.toLowerCase() === "auto") return "auto";
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 1000)
    throw new ConfigError(`POICK_SHARDS must be "auto" or a number of shards from 1 to 1000, got "${raw}".`);
  return Number(raw);
}

function databaseUrl(env: Env): string | undefined {
  const v = str(env, "DATABASE_URL");
  if (v !== undefined && !/^postgres(ql)?:\/\/./i.test(v)) {
    throw new ConfigError(
      `DATABASE_URL must be a postgres:// URL, got "${v.replace(/:[^:@/]*@/, ":***@")}".`,
    );
  }
  return v;
}

/** Builds the config from an environment; `.env` values fill in what the environment lacks. */
export function loadConfig(env: Env = process.env, dotEnvPath: string | null = ".env"): Readonly<Config> {
  let merged: Env = env;
  if (dotEnvPath && existsSync(dotEnvPath)) {
    merged = { ...parseDotEnv(readFileSync(dotEnvPath, "utf8")), ...env };
  }
  const e = merged;
  const sqliteFile = str(e, "POICK_DB") ?? "./data/poick.db";
  const config: Config = {
    dbPath: databaseUrl(e) ?? sqliteFile,
    // POICK_DB may name a PostgreSQL database too (openDatabase takes either): then there is no directory.
    dataDir:
      sqliteFile === ":memory:" || /^postgres(ql)?:\/\//i.test(sqliteFile) ? null : dirname(sqliteFile),
    logLevel: str(e, "POICK_LOG_LEVEL") ?? "info",
    wikiUrl: httpUrl(e, "POICK_WIKI_URL", DEFAULT_WIKI_URL) as string,
    userAgent: str(e, "POICK_USER_AGENT") ?? `Poick/0.1 (+${HOMEPAGE}; user group liveness checker)`,
    discord: Object.freeze({
      token: str(e, "DISCORD_TOKEN"),
      appId: snowflake(e, "DISCORD_APP_ID"),
      guildId: snowflake(e, "DISCORD_GUILD_ID"),
      apiUrl: httpUrl(e, "DISCORD_API_URL", undefined)?.replace(/\/+$/, ""),
      // Bulk overwrite is idempotent, so registering at every start is safe and saves a step.
      registerOnStart: bool(e, "POICK_REGISTER_ON_START", true),
      shards: shards(e),
      isShard: e.SHARDING_MANAGER === "true",
      leaderTtlMs: int(e, "POICK_LEADER_TTL_MS", 45_000, 1000, 600_000),
    }),
    scan: Object.freeze({
      deadAfterChecks: int(e, "POICK_DEAD_AFTER_CHECKS", 3, 1, 100),
      deadAfterHours: num(e, "POICK_DEAD_AFTER_HOURS", 24, 0, 24 * 365),
      dormantAfterDays: int(e, "POICK_DORMANT_AFTER_DAYS", 365, 1, 3650),
      canaryUrls: list(e, "POICK_CANARY_URLS", [
        "https://www.python.org/",
        "https://www.wikipedia.org/",
        "https://www.cloudflare.com/",
      ]),
      allowNets: list(e, "POICK_ALLOW_NETS", []),
      // Checks are mostly waiting on the network: 32 at work keep a scan at the hosts' pace.
      concurrency: int(e, "POICK_CONCURRENCY", 32, 1, 1000),
      hostConcurrency: int(e, "POICK_HOST_CONCURRENCY", 4, 1, 100),
      // 8/s stays below the common 10/s limits; the pace starts at 2/s and rises while hosts answer fast.
      hostRatePerSecond: num(e, "POICK_HOST_RATE", 8, 0.01, 1000),
      hostRateStartPerSecond: num(e, "POICK_HOST_RATE_START", 2, 0.01, 1000),
      timeoutMs: int(e, "POICK_TIMEOUT_MS", 15_000, 100, 300_000),
      connectTimeoutMs: int(e, "POICK_CONNECT_TIMEOUT_MS", 10_000, 100, 300_000),
      bodyTimeoutMs: int(e, "POICK_BODY_TIMEOUT_MS", 20_000, 100, 600_000),
      checkDeadlineMs: int(e, "POICK_CHECK_DEADLINE_MS", 90_000, 1_000, 3_600_000),
      maxBodyBytes: int(e, "POICK_MAX_BODY_BYTES", 1_048_576, 1024, 100 * 1_048_576),
      retries: int(e, "POICK_RETRIES", 2, 0, 10),
    }),
    maxListingBytes: int(e, "POICK_MAX_LISTING_BYTES", 5 * 1_048_576, 65_536, 1024 * 1_048_576),
    proxy: Object.freeze({
      http: str(e, "HTTP_PROXY") ?? str(e, "http_proxy"),
      https: str(e, "HTTPS_PROXY") ?? str(e, "https_proxy"),
      noProxy: str(e, "NO_PROXY") ?? str(e, "no_proxy"),
    }),
    dispatch: Object.freeze({
      intervalMs: int(e, "POICK_DISPATCH_INTERVAL_MS", 15_000, 100, 3_600_000),
      leaseMs: int(e, "POICK_DISPATCH_LEASE_MS", 120_000, 1000, 3_600_000),
    }),
    render: Object.freeze({
      idleMs: int(e, "POICK_RENDER_IDLE_MS", 120_000, 0, 86_400_000),
      timeoutMs: int(e, "POICK_RENDER_TIMEOUT_MS", 30_000, 100, 600_000),
      // Near maps and charts leave the renderer at ~105-125 MiB; a map of the world or a region at 100,000
      // groups leaves it at ~190-215 (the groups it was sent), and it is then replaced rather than kept.
      maxMemoryMb: int(e, "POICK_RENDER_MAX_MB", 150, 64, 16_384),
    }),
    schedule: Object.freeze({
      syncCron: str(e, "POICK_SYNC_CRON") ?? "17 3 * * *",
      scanCron: str(e, "POICK_SCAN_CRON") ?? "40 */6 * * *",
      digestCron: str(e, "POICK_DIGEST_CRON") ?? "0 9 * * 1",
      timezone: str(e, "POICK_TZ") ?? "UTC",
    }),
  };
  return Object.freeze(config);
}
