import { performance } from "node:perf_hooks";

export interface HostLimiterOptions {
  /** Tasks in flight over all hosts. */
  concurrency?: number;
  /** Tasks in flight per host. */
  perHostConcurrency?: number;
  /** Task starts per second per host; `Infinity` for no rate limit. */
  perHostPerSecond?: number;
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface Waiter {
  readonly seq: number;
  readonly start: () => void;
}

interface HostState {
  active: number;
  /** The earliest time the next task for this host may start. */
  nextStartAt: number;
  readonly queue: Waiter[];
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new Error(`${name} must be greater than 0, got ${value}.`);
  return value;
}

/**
 * Keeps the prober polite: at most `concurrency` tasks overall, and per host at most
 * `perHostConcurrency` in flight and one start every `1 / perHostPerSecond` seconds.
 * Waiting tasks start in arrival order among the hosts that may start one.
 */
export class HostLimiter {
  readonly concurrency: number;
  readonly hostConcurrency: number;
  private readonly interval: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly hosts = new Map<string, HostState>();
  private inFlight = 0;
  private seq = 0;
  private wakeAt: number | null = null;

  constructor(opts: HostLimiterOptions = {}) {
    this.concurrency = positive("concurrency", opts.concurrency ?? 16);
    this.hostConcurrency = positive("perHostConcurrency", opts.perHostConcurrency ?? 4);
    this.interval = 1000 / positive("perHostPerSecond", opts.perHostPerSecond ?? 4);
    this.now = opts.now ?? (() => performance.now());
    this.sleep = opts.sleep ?? realSleep;
  }

  /** Tasks running now. */
  get active(): number {
    return this.inFlight;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    let n = 0;
    for (const state of this.hosts.values()) n += state.queue.length;
    return n;
  }

  run<T>(host: string, fn: () => Promise<T>): Promise<T> {
    const key = host.toLowerCase();
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        queueMicrotask(() => {
          let task: Promise<T>;
          try {
            task = Promise.resolve(fn());
          } catch (err) {
            task = Promise.reject(err);
          }
          task.then(resolve, reject).finally(() => this.release(key));
        });
      };
      this.stateOf(key).queue.push({ seq: this.seq++, start });
      this.pump();
    });
  }

  private stateOf(key: string): HostState {
    let state = this.hosts.get(key);
    if (!state) {
      state = { active: 0, nextStartAt: Number.NEGATIVE_INFINITY, queue: [] };
      this.hosts.set(key, state);
    }
    return state;
  }

  private release(key: string): void {
    const state = this.hosts.get(key);
    if (state) state.active--;
    this.inFlight--;
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.concurrency) {
      const now = this.now();
      let pick: HostState | null = null;
      let earliestBlocked = Number.POSITIVE_INFINITY;
      for (const [key, state] of this.hosts) {
        const head = state.queue[0];
        if (!head) {
          if (state.active === 0 && state.nextStartAt <= now) this.hosts.delete(key);
          continue;
        }
        if (state.active >= this.hostConcurrency) continue;
        if (state.nextStartAt > now) {
          earliestBlocked = Math.min(earliestBlocked, state.nextStartAt);
          continue;
        }
        if (!pick || head.seq < pick.queue[0]!.seq) pick = state;
      }
      if (!pick) {
        if (earliestBlocked !== Number.POSITIVE_INFINITY) this.wakeUpAt(earliestBlocked, now);
        return;
      }
      const waiter = pick.queue.shift()!;
      pick.active++;
      this.inFlight++;
      pick.nextStartAt = now + this.interval;
      waiter.start();
    }
  }

  /** One pending wake-up at a time (the earliest needed); no polling. */
  private wakeUpAt(at: number, now: number): void {
    if (this.wakeAt !== null && this.wakeAt <= at) return;
    this.wakeAt = at;
    void this.sleep(Math.max(0, at - now)).then(() => {
      if (this.wakeAt === at) this.wakeAt = null;
      this.pump();
    });
  }
}
