import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Clock } from "../clock.js";
import type { Db } from "../db/connect.js";
import { recordJobRun, releaseLock, renewLock, tryAcquireLock } from "../db/locks.js";
import type { Logger } from "../logger.js";

const HOST = hostname();
export const HOLDER = `${HOST}:${process.pid}:${randomUUID().slice(0, 8)}`;

/** A lock held by a process on this machine that no longer exists (killed, crashed) is free at once. */
export function holderIsGone(holder: string): boolean {
  const [host, pid] = holder.split(":");
  if (host !== HOST || !pid || !/^\d+$/.test(pid)) return false;
  if (Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export type Locked<T> = { kind: "ran"; value: T } | { kind: "busy" };

/**
 * Runs `fn` only if no other run of the job (in this or another process) holds the lock.
 * The lock expires after `ttlMs` unless renewed, so a killed process doesn't block the job forever.
 */
export async function withJobLock<T>(
  db: Db,
  clock: Clock,
  name: string,
  fn: (signal: AbortSignal) => Promise<T>,
  opts: { ttlMs?: number; holder?: string; result?: (v: T) => string; logger?: Logger } = {},
): Promise<Locked<T>> {
  const ttl = opts.ttlMs ?? 10 * 60_000;
  const holder = opts.holder ?? HOLDER;
  const at = () => clock.now();
  const exp = () => new Date(at().getTime() + ttl).toISOString();
  if (!(await tryAcquireLock(db, name, holder, at().toISOString(), exp(), holderIsGone)))
    return { kind: "busy" };
  // A job that can no longer renew its lock (taken over after a stall, database gone) must stop:
  // another process may be running it now.
  const lost = new AbortController();
  const renew = setInterval(
    () => {
      renewLock(db, name, holder, exp())
        .then((held) => {
          if (!held) throw new Error("the lock is held by another process now");
        })
        .catch((err) => {
          if (lost.signal.aborted) return;
          opts.logger?.error(
            { job: { name }, err: String((err as Error).message) },
            "lost the job lock; stopping",
          );
          lost.abort(new Error(`lost the ${name} lock`));
        });
    },
    Math.max(1000, ttl / 3),
  );
  renew.unref();
  try {
    await recordJobRun(db, name, { last_started_at: at().toISOString() });
    let value: T;
    try {
      value = await fn(lost.signal);
    } catch (err) {
      await recordJobRun(db, name, {
        last_finished_at: at().toISOString(),
        last_result: `failed: ${(err as Error).message}`,
      });
      throw err;
    }
    await recordJobRun(db, name, {
      last_finished_at: at().toISOString(),
      last_result: opts.result ? opts.result(value) : "ok",
    });
    return { kind: "ran", value };
  } finally {
    clearInterval(renew);
    await releaseLock(db, name, holder);
  }
}
