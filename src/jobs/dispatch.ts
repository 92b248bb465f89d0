import type { RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import { type Notifier, nonceForKey, type SendErrorCode, type SendResult } from "../alerts/notifier.js";
import { type Clock, isoNow } from "../clock.js";
import type { Db } from "../db/connect.js";
import { clearGuildError, getGuildSettings, recordGuildError, setStatusBoard } from "../db/guild-settings.js";
import { claimDue, markDelivered, markFailed, markRetry } from "../db/outbox.js";
import type { GuildSettingsRow, OutboxRow } from "../db/schema.js";
import type { Logger } from "../logger.js";

export interface DispatchDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  notifier: Notifier;
}

export interface DispatchOptions {
  /** Rows claimed at a time. */
  limit?: number;
  /** How long a claim holds; a dispatcher that dies frees its rows after this. */
  leaseMs?: number;
  /** At most this many claims per run, so one run never spins forever. */
  maxBatches?: number;
}

export interface DispatchResult {
  sent: number;
  retried: number;
  failed: number;
}

const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 3_600_000;
/** A message that could not be sent for this long is given up. */
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** Don't start a send this close to the end of the claim: another dispatcher may take the row soon after. */
const LEASE_MARGIN_MS = 10_000;

/** Wait before the next try after `failures` failed attempts: 30 s, 1 min, 2 min, … at most 1 h. */
export function retryDelayMs(failures: number): number {
  const n = Math.max(1, failures);
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(n - 1, 20));
}

/** What an admin reads in `/pug-admin alerts show` (plain text: it is shown escaped). */
function guildProblem(code: SendErrorCode, channelId: string, detail: string): string | null {
  switch (code) {
    case "unknown_channel":
      return `The alert channel (id ${channelId}) no longer exists. Pick another one with /pug-admin alerts channel.`;
    case "missing_access":
      return `I can't see the alert channel (id ${channelId}). Give me the View Channel permission there, or pick another channel.`;
    case "missing_permissions":
      return `I'm not allowed to post in the alert channel (id ${channelId}). I need Send Messages and Embed Links there.`;
    default:
      return detail ? `An alert could not be delivered: ${detail}` : null;
  }
}

/** Codes that mean nothing will ever reach this channel until an admin acts. */
const CHANNEL_IS_CLOSED = new Set<SendErrorCode>([
  "unknown_channel",
  "missing_access",
  "missing_permissions",
]);

type Failure = Extract<SendResult, { ok: false }>;
type Outcome = keyof DispatchResult;

interface Run {
  deps: DispatchDeps;
  settings: Map<string, GuildSettingsRow | undefined>;
  closedChannels: Map<string, Failure>;
}

async function settingsOf(run: Run, guildId: string): Promise<GuildSettingsRow | undefined> {
  if (!run.settings.has(guildId)) run.settings.set(guildId, await getGuildSettings(run.deps.db, guildId));
  return run.settings.get(guildId);
}

/** Alerts for a guild that turned them off, or moved them, are dropped rather than posted to the old channel. */
function stillWanted(row: OutboxRow, s: GuildSettingsRow | undefined): boolean {
  if (!s) return false;
  return row.kind === "board"
    ? s.status_board_channel_id === row.channel_id
    : s.alert_channel_id === row.channel_id;
}

async function safely(send: () => Promise<SendResult>): Promise<SendResult> {
  try {
    return await send();
  } catch (err) {
    return { ok: false, permanent: false, code: "other", message: String((err as Error)?.message ?? err) };
  }
}

async function post(
  run: Run,
  row: OutboxRow,
  message: RESTPostAPIChannelMessageJSONBody,
): Promise<SendResult> {
  const { notifier } = run.deps;
  if (row.kind === "board" && notifier.edit) {
    const s = await settingsOf(run, row.guild_id);
    const existing = s?.status_board_message_id;
    if (existing) {
      const edited = await safely(() => notifier.edit!(row.channel_id, existing, message));
      if (edited.ok || edited.code !== "unknown_message") return edited;
      // The board message was deleted: post a new one below.
    }
  }
  return safely(() => notifier.send(row.channel_id, message, nonceForKey(row.key)));
}

async function fail(run: Run, row: OutboxRow, error: string): Promise<Outcome> {
  await markFailed(run.deps.db, row.id, error, isoNow(run.deps.clock));
  return "failed";
}

async function deliverOne(run: Run, row: OutboxRow): Promise<Outcome> {
  const { db, clock, logger } = run.deps;
  const log = logger.child({ outbox: row.id, key: row.key, guild: row.guild_id, channel: row.channel_id });

  let message: RESTPostAPIChannelMessageJSONBody;
  try {
    message = JSON.parse(row.payload) as RESTPostAPIChannelMessageJSONBody;
  } catch {
    log.error("queued message is not valid JSON; dropped");
    return fail(run, row, "The queued message was unreadable.");
  }
  if (!stillWanted(row, await settingsOf(run, row.guild_id))) {
    log.info("alerts were turned off or moved for this server; dropped");
    return fail(run, row, "Not sent: alerts were turned off or moved to another channel.");
  }
  const closed = run.closedChannels.get(row.channel_id);
  if (closed) return fail(run, row, closed.message);

  const result = await post(run, row, message);
  const now = isoNow(clock);
  if (result.ok) {
    await markDelivered(db, row.id, result.messageId, now);
    if (row.kind === "board") {
      run.settings.set(
        row.guild_id,
        await setStatusBoard(db, row.guild_id, row.channel_id, result.messageId, now),
      );
    }
    const s = await settingsOf(run, row.guild_id);
    if (s?.last_error) {
      await clearGuildError(db, row.guild_id);
      run.settings.set(row.guild_id, { ...s, last_error: null, last_error_at: null });
    }
    log.debug({ messageId: result.messageId }, "alert delivered");
    return "sent";
  }

  if (result.permanent) {
    log.warn({ code: result.code, error: result.message }, "alert could not be delivered; giving up on it");
    if (CHANNEL_IS_CLOSED.has(result.code)) run.closedChannels.set(row.channel_id, result);
    const problem = guildProblem(result.code, row.channel_id, result.message);
    if (problem) await recordGuildError(db, row.guild_id, problem, now);
    return fail(run, row, `${result.code}: ${result.message}`);
  }

  const attempts = row.attempts + 1;
  if (clock.now().getTime() - Date.parse(row.created_at) >= GIVE_UP_AFTER_MS) {
    log.warn(
      { code: result.code, error: result.message, attempts },
      "alert still failing after a day; giving up",
    );
    await recordGuildError(
      db,
      row.guild_id,
      `An alert could not be delivered for a day: ${result.message}`,
      now,
    );
    return fail(run, row, `gave up after ${attempts} attempts: ${result.code}: ${result.message}`);
  }
  const wait = Math.max(retryDelayMs(attempts), result.retryAfterMs ?? 0);
  const next = new Date(clock.now().getTime() + wait).toISOString();
  log.info({ code: result.code, error: result.message, attempts, next }, "alert delivery failed; will retry");
  await markRetry(db, row.id, attempts, next, `${result.code}: ${result.message}`);
  return "retried";
}

/**
 * Sends what the outbox holds: claims due rows, posts each with a nonce derived from its key (so a
 * repeat after a crash is answered by Discord with the message it already made), and records the
 * outcome. Passing failures retry with backoff; a closed channel fails for good and is shown to the
 * guild's admins; one guild's problem never holds up another's alerts.
 */
export async function dispatchAlerts(
  deps: DispatchDeps,
  opts: DispatchOptions = {},
): Promise<DispatchResult> {
  const limit = opts.limit ?? 25;
  const leaseMs = opts.leaseMs ?? 120_000;
  const maxBatches = opts.maxBatches ?? 20;
  const run: Run = { deps, settings: new Map(), closedChannels: new Map() };
  const total: DispatchResult = { sent: 0, retried: 0, failed: 0 };

  for (let batch = 0; batch < maxBatches; batch++) {
    const rows = await claimDue(deps.db, isoNow(deps.clock), limit, leaseMs);
    if (rows.length === 0) break;
    for (const row of rows) {
      const leaseEnds = Date.parse(row.claimed_until ?? "") - Math.min(LEASE_MARGIN_MS, leaseMs / 4);
      if (!(deps.clock.now().getTime() < leaseEnds)) continue; // the claim ran out: leave the row to the next claim
      try {
        total[await deliverOne(run, row)]++;
      } catch (err) {
        // A database hiccup: the claim lapses and the row is tried again later.
        deps.logger.error({ err, outbox: row.id }, "alert dispatch step failed");
      }
    }
  }
  return total;
}

export interface DispatcherHandle {
  /** Stops the loop and waits for a run in progress. */
  stop(): Promise<void>;
  /** Runs now (or right after the current run), e.g. after a scan queued alerts. */
  kick(): void;
}

/**
 * Runs `dispatchAlerts` at start, every `intervalMs` (so alerts queued by another process, such as
 * a `poick scan` from the shell, go out within a minute) and whenever kicked. Never overlaps itself.
 */
export function startDispatcher(
  deps: DispatchDeps,
  opts: { intervalMs?: number } & DispatchOptions = {},
): DispatcherHandle {
  const intervalMs = opts.intervalMs ?? 15_000;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const once = async () => {
    try {
      const r = await dispatchAlerts(deps, opts);
      if (r.sent + r.retried + r.failed > 0) deps.logger.info(r, "alerts dispatched");
    } catch (err) {
      deps.logger.error({ err }, "alert dispatch failed; will try again");
    }
  };

  const schedule = () => {
    if (timer) clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };

  function tick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (timer) clearTimeout(timer);
    running = (async () => {
      do {
        again = false;
        await once();
      } while (again && !stopped);
    })().finally(() => {
      running = null;
      schedule();
    });
  }

  tick();
  return {
    kick: tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
