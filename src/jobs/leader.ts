import type { Clock } from "../clock.js";
import type { Db } from "../db/connect.js";
import { releaseLock, renewLock, tryAcquireLock } from "../db/locks.js";
import type { Logger } from "../logger.js";
import { HOLDER, holderIsGone } from "./lock.js";

export interface Leadership {
  isLeader(): boolean;
  stop(): Promise<void>;
}

export interface LeadershipOptions {
  /** The lock row's name. */
  name?: string;
  /** A leader that stops renewing is replaced after this long (a killed one on this machine at once). */
  ttlMs?: number;
  /** Who contends (default: this process). */
  holder?: string;
  onGain(): void | Promise<void>;
  onLose(): void | Promise<void>;
}

/**
 * Exactly one process at a time runs the schedule and the alert dispatcher, whatever the number of
 * bot processes or shards sharing the database: the one holding the leader lock row. It renews every
 * third of the TTL; when it dies, another takes over within ttl + ttl/3 (one minute by default).
 */
export function startLeadership(
  d: { db: Db; clock: Clock; logger: Logger },
  o: LeadershipOptions,
): Leadership {
  const name = o.name ?? "leader";
  const ttl = o.ttlMs ?? 45_000;
  const holder = o.holder ?? HOLDER;
  const expiry = () => new Date(d.clock.now().getTime() + ttl).toISOString();
  let leader = false;
  let stopped = false;
  let busy: Promise<void> = Promise.resolve();

  const tick = async () => {
    if (stopped) return;
    try {
      if (leader) {
        if (await renewLock(d.db, name, holder, expiry())) return;
        leader = false;
        d.logger.warn({ holder }, "lost the leadership; scheduled jobs stop here");
        await o.onLose();
        return;
      }
      const now = d.clock.now().toISOString();
      if (await tryAcquireLock(d.db, name, holder, now, expiry(), holderIsGone)) {
        leader = true;
        d.logger.info({ holder }, "leading: this process runs the schedule and delivers alerts");
        await o.onGain();
      }
    } catch (err) {
      d.logger.error({ err }, "leadership check failed; will retry");
    }
  };
  const run = () => {
    busy = busy.then(tick);
  };
  run();
  const timer = setInterval(run, Math.max(1000, Math.floor(ttl / 3)));
  timer.unref();
  return {
    isLeader: () => leader,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await busy;
      if (leader) {
        leader = false;
        await o.onLose();
        await releaseLock(d.db, name, holder).catch(() => {});
      }
    },
  };
}
