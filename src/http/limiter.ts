import { performance } from "node:perf_hooks";
import { parseRateLimit } from "ratelimit-header-parser";

export interface HostLimiterOptions {
  /** Tasks in flight over all hosts. */
  concurrency?: number;
  /** Tasks in flight per host. */
  perHostConcurrency?: number;
  /**
   * The ceiling: never more task starts than this to one host in any one-second window,
   * whatever the host's answers say. `Infinity` for no rate limit.
   */
  perHostPerSecond?: number;
  /**
   * Where a host we know nothing about starts (default: the ceiling). While it answers quickly
   * without 429/503 the rate rises towards the ceiling; a 429 or 503 halves it.
   */
  startPerSecond?: number;
  /** An answer whose headers came within this many ms counts as quick (default 2000). */
  quickMs?: number;
  /** Longest pause a Retry-After or an exhausted quota may impose (default 120 s). */
  maxPauseMs?: number;
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
  /** Wall-clock milliseconds, for RateLimit reset dates (default Date.now). */
  wallNow?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** What one request to a host got back, as the limiter learns from it. */
export interface HostAnswer {
  status: number | null;
  headers?: Record<string, string>;
  /** Time to the answer's headers. */
  ms: number;
}

/** A host's learnt pace, kept between scans. */
export interface HostRate {
  host: string;
  /** Starts per second we had reached. */
  rate: number;
  /** Starts per second the host announced (RateLimit-Policy and friends), if it did. */
  announced: number | null;
}

export interface LimiterStats {
  /** Task starts (requests: every redirect hop and retry). */
  requests: number;
  /** 429 answers seen. */
  rateLimited: number;
  /** 503 answers seen. */
  unavailable: number;
  /** The most starts to one host within any window of 1 s (+ guard), over all hosts. */
  peakPerSecond: number;
  /** Requests per host. */
  perHost: Record<string, number>;
}

interface Waiter {
  readonly seq: number;
  readonly start: (span: Span) => void;
}

/**
 * One request as the window counts it: from its start until the host has surely seen it, which is
 * the moment its headers left plus the network's jitter (`SENT_JITTER_MS`), or the moment its
 * answer's headers came back, whichever is first; Infinity while neither has happened.
 */
interface Span {
  start: number;
  end: number;
}

interface HostState {
  active: number;
  /** The earliest time the next task for this host may start at the current rate. */
  nextStartAt: number;
  /** Nothing starts before this (Retry-After, an exhausted quota). */
  pausedUntil: number;
  /** Starts per second now; rises towards the ceiling, halves on 429/503. */
  rate: number;
  /** Per-second limit the host announced, or null. */
  announced: number | null;
  /** A quota the host says is running low: at most this many per second until `quotaUntil`. */
  quota: number | null;
  quotaUntil: number;
  /** Requests that may still be inside the last second at the host's end. */
  spans: Span[];
  /** Start times within the last second (for the figures). */
  readonly starts: number[];
  readonly queue: Waiter[];
  requests: number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const WINDOW_MS = 1000;
/**
 * How much later than its neighbours a request written to the socket may reach the host (the spread
 * of one-way delays). Counting each request until it was written plus this, within a one-second
 * window, means the host sees at most the ceiling within any one second of its own clock.
 */
export const SENT_JITTER_MS = 100;
/** Never slower than one request in 10 s, however often a host says 429. */
const MIN_RATE = 0.1;
/** Each quick answer raises the rate by this factor (about 8 answers from 2/s to 8/s). */
const RISE = 1.2;
/** An announced limit is held below by this share. */
const BELOW_ANNOUNCED = 0.8;

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new Error(`${name} must be greater than 0, got ${value}.`);
  return value;
}

/** `RateLimit-Policy: 10;w=1`, `"default";q=100;w=60`, `X-RateLimit-Policy`: per-second limit, or null. */
export function announcedPerSecond(headers: Record<string, string>): number | null {
  const policy = headers["ratelimit-policy"] ?? headers["x-ratelimit-policy"];
  if (policy) {
    let best: number | null = null;
    for (const item of policy.split(",")) {
      const q =
        /(?:^|;)\s*q\s*=\s*(\d+(?:\.\d+)?)/.exec(item)?.[1] ??
        /^\s*(\d+(?:\.\d+)?)\s*(?:;|$)/.exec(item)?.[1];
      const w = /;\s*w(?:indow)?\s*=\s*(\d+(?:\.\d+)?)/.exec(item)?.[1];
      if (!q) continue;
      const perSecond = Number(q) / Math.max(1, Number(w ?? 1));
      if (perSecond > 0 && (best === null || perSecond < best)) best = perSecond;
    }
    if (best !== null) return best;
  }
  // `RateLimit: limit=10, remaining=3, reset=1` (draft 7) names its window only through reset:
  // a window that resets within a second is a per-second limit.
  const combined = headers.ratelimit;
  if (combined) {
    const limit = /limit\s*=\s*(\d+)/i.exec(combined)?.[1];
    const w = /(?:^|[;,\s])w\s*=\s*(\d+)/i.exec(combined)?.[1];
    if (limit && w) return Number(limit) / Math.max(1, Number(w));
  }
  return null;
}

/**
 * Keeps requests polite, per host and overall: at most `concurrency` tasks in flight, and per host
 * at most `perHostConcurrency` in flight and never more than the ceiling's starts in any one-second
 * window. Within that, each host has its own pace: it starts at `startPerSecond`, rises while the
 * host answers quickly, halves on 429/503, waits out Retry-After, and stays below a limit the host
 * announces. Waiting tasks start in arrival order among the hosts that may start one; a task
 * waiting for its host's turn holds no slot.
 *
 * Hand-written rather than bottleneck or p-queue: those pace one queue at a fixed rate, while this
 * paces each host from what that host answers and must tell a scheduler which host can go now.
 */
export class HostLimiter {
  readonly concurrency: number;
  readonly hostConcurrency: number;
  /** The ceiling per host, starts per second. */
  readonly ceiling: number;
  private readonly startRate: number;
  private readonly quickMs: number;
  private readonly maxPauseMs: number;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly hosts = new Map<string, HostState>();
  private readonly listeners = new Set<() => void>();
  private inFlight = 0;
  private seq = 0;
  private wakeAt: number | null = null;
  private counts = { requests: 0, rateLimited: 0, unavailable: 0, peakPerSecond: 0 };

  constructor(opts: HostLimiterOptions = {}) {
    this.concurrency = positive("concurrency", opts.concurrency ?? 16);
    this.hostConcurrency = positive("perHostConcurrency", opts.perHostConcurrency ?? 4);
    this.ceiling = positive("perHostPerSecond", opts.perHostPerSecond ?? 4);
    this.startRate = Math.min(this.ceiling, positive("startPerSecond", opts.startPerSecond ?? this.ceiling));
    this.quickMs = opts.quickMs ?? 2000;
    this.maxPauseMs = opts.maxPauseMs ?? 120_000;
    this.now = opts.now ?? (() => performance.now());
    this.wallNow = opts.wallNow ?? Date.now;
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

  /**
   * Runs `fn` when `host` may take a request. `fn` calls `sent()` when the request's headers were
   * written to the socket and `answered()` when the answer's headers arrive: until the first of the
   * two (or until it ends) the request counts as still arriving at the host. A task whose `signal`
   * aborts while it still waits leaves the queue (rejecting with the signal's reason) and never
   * counts as a request; once started, `fn` answers to the signal itself.
   */
  run<T>(
    host: string,
    fn: (answered: () => void, sent: () => void) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const key = host.toLowerCase();
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const start = (span: Span) => {
        signal?.removeEventListener("abort", leave);
        const answered = () => {
          span.end = Math.min(span.end, this.now());
        };
        const sent = () => {
          span.end = Math.min(span.end, this.now() + SENT_JITTER_MS);
          // The window may have room before the answer comes: look again (outside undici's write).
          queueMicrotask(() => {
            this.pump();
            this.notify();
          });
        };
        queueMicrotask(() => {
          let task: Promise<T>;
          try {
            task = Promise.resolve(fn(answered, sent));
          } catch (err) {
            task = Promise.reject(err);
          }
          task.then(resolve, reject).finally(() => {
            answered();
            this.release(key);
          });
        });
      };
      const state = this.stateOf(key);
      const waiter: Waiter = { seq: this.seq++, start };
      const leave = () => {
        const at = state.queue.indexOf(waiter);
        if (at < 0) return;
        state.queue.splice(at, 1);
        reject(signal?.reason);
        this.pump();
        this.notify();
      };
      signal?.addEventListener("abort", leave, { once: true });
      state.queue.push(waiter);
      this.pump();
    });
  }

  /** Learns from one answer: the pace rises on quick answers, halves on 429/503, pauses for Retry-After. */
  observe(host: string, answer: HostAnswer): void {
    const s = this.stateOf(host.toLowerCase());
    const now = this.now();
    const headers = answer.headers ?? {};
    const { status } = answer;
    if (status === 429 || status === 503) {
      if (status === 429) this.counts.rateLimited++;
      else this.counts.unavailable++;
      s.rate = Math.max(MIN_RATE, s.rate / 2);
      s.nextStartAt = Math.max(s.nextStartAt, now + 1000 / s.rate);
      const wait = retryAfterMs(headers["retry-after"], this.wallNow());
      if (wait !== null) s.pausedUntil = Math.max(s.pausedUntil, now + Math.min(wait, this.maxPauseMs));
    } else if (status !== null) {
      this.readQuota(s, headers, now);
      if (answer.ms <= this.quickMs && status < 500) s.rate = Math.min(this.capOf(s, now), s.rate * RISE);
    }
    s.rate = Math.min(s.rate, this.capOf(s, now));
    this.notify();
    this.pump();
  }

  /**
   * Milliseconds until `host` could start a request (0: now), or null when it is busy (its or the
   * overall in-flight limit is reached, or tasks already wait for it): ask again after `subscribe` fires.
   */
  readyIn(host: string): number | null {
    if (this.inFlight >= this.concurrency) return null;
    const s = this.hosts.get(host.toLowerCase());
    if (!s) return 0;
    if (s.active >= this.hostConcurrency || s.queue.length > 0) return null;
    const now = this.now();
    const at = this.earliestStart(s, now);
    return at === Number.POSITIVE_INFINITY ? null : Math.max(0, at - now);
  }

  /** Called whenever a host may have become ready (a task ended, an answer was learnt from). */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): LimiterStats {
    const perHost: Record<string, number> = {};
    for (const [host, s] of this.hosts) if (s.requests > 0) perHost[host] = s.requests;
    return { ...this.counts, perHost };
  }

  /** Each host's learnt pace, to start the next scan where this one ended. */
  rates(): HostRate[] {
    return [...this.hosts].map(([host, s]) => ({ host, rate: s.rate, announced: s.announced }));
  }

  /** Starts these hosts at their pace from an earlier scan (never above the ceiling). */
  seed(rates: readonly HostRate[]): void {
    for (const r of rates) {
      if (!(r.rate > 0)) continue;
      const s = this.stateOf(r.host.toLowerCase());
      s.announced = r.announced !== null && r.announced > 0 ? r.announced : null;
      s.rate = Math.max(MIN_RATE, Math.min(r.rate, this.capOf(s, this.now())));
    }
  }

  /** The most a host may get per second now: the ceiling, below what it announced, within its quota. */
  private capOf(s: HostState, now: number): number {
    let cap = this.ceiling;
    if (s.announced !== null) cap = Math.min(cap, Math.max(MIN_RATE, s.announced * BELOW_ANNOUNCED));
    if (s.quota !== null && now < s.quotaUntil) cap = Math.min(cap, Math.max(MIN_RATE, s.quota));
    return cap;
  }

  private readQuota(s: HostState, headers: Record<string, string>, now: number): void {
    const announced = announcedPerSecond(headers);
    if (announced !== null) s.announced = announced;
    const hasLimitHeaders = Object.keys(headers).some((h) => /^(x-)?rate-?limit/.test(h));
    if (!hasLimitHeaders) return;
    const rl = parseRateLimit(headers);
    if (!rl || Number.isNaN(rl.remaining)) return;
    const resetInMs = rl.reset ? Math.max(0, rl.reset.getTime() - this.wallNow()) : null;
    if (resetInMs === null || resetInMs > this.maxPauseMs) return;
    if (rl.remaining <= 0) {
      s.pausedUntil = Math.max(s.pausedUntil, now + resetInMs);
      return;
    }
    // What is left of the quota, spread over what is left of its window.
    s.quota = (rl.remaining * BELOW_ANNOUNCED * 1000) / Math.max(1000, resetInMs);
    s.quotaUntil = now + Math.max(1000, resetInMs);
  }

  private stateOf(key: string): HostState {
    let state = this.hosts.get(key);
    if (!state) {
      state = {
        active: 0,
        nextStartAt: Number.NEGATIVE_INFINITY,
        pausedUntil: Number.NEGATIVE_INFINITY,
        rate: this.startRate,
        announced: null,
        quota: null,
        quotaUntil: 0,
        spans: [],
        starts: [],
        queue: [],
        requests: 0,
      };
      this.hosts.set(key, state);
    }
    return state;
  }

  /**
   * When the window, the pace and any pause all allow the next start (Infinity: when a request in
   * flight has neither left nor answered). The window counts a request from its start until it
   * surely reached the host (see Span): so however long a handshake or the network delays a request,
   * the host never sees more than the ceiling within any one second. (Counting only 100 ms after
   * each *start* let a busy host's clock see 9–10 in a second: a request waiting for its TLS
   * handshake left much later than it started. Measured, reverted; the write time is what counts.)
   */
  private earliestStart(s: HostState, now: number): number {
    if (s.spans.length > 0) s.spans = s.spans.filter((r) => r.end > now - WINDOW_MS);
    const perWindow = Math.max(1, Math.floor(this.capOf(s, now) + 1e-9));
    let windowFree = Number.NEGATIVE_INFINITY;
    if (s.spans.length >= perWindow) {
      const ends = s.spans.map((r) => r.end).sort((a, b) => a - b);
      windowFree = (ends[s.spans.length - perWindow] as number) + WINDOW_MS;
    }
    return Math.max(s.nextStartAt, s.pausedUntil, windowFree);
  }

  private release(key: string): void {
    const state = this.hosts.get(key);
    if (state) state.active--;
    this.inFlight--;
    this.pump();
    this.notify();
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  private pump(): void {
    while (this.inFlight < this.concurrency) {
      const now = this.now();
      let pick: HostState | null = null;
      let earliestBlocked = Number.POSITIVE_INFINITY;
      for (const state of this.hosts.values()) {
        const head = state.queue[0];
        if (!head || state.active >= this.hostConcurrency) continue;
        const at = this.earliestStart(state, now);
        if (at > now) {
          if (at !== Number.POSITIVE_INFINITY) earliestBlocked = Math.min(earliestBlocked, at);
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
      pick.requests++;
      this.counts.requests++;
      pick.nextStartAt = now + 1000 / Math.min(pick.rate, this.capOf(pick, now));
      const span: Span = { start: now, end: Number.POSITIVE_INFINITY };
      pick.spans.push(span);
      while (pick.starts.length > 0 && (pick.starts[0] as number) <= now - WINDOW_MS) pick.starts.shift();
      pick.starts.push(now);
      this.counts.peakPerSecond = Math.max(this.counts.peakPerSecond, pick.starts.length);
      waiter.start(span);
    }
  }

  /** One pending wake-up at a time (the earliest needed); no polling. */
  private wakeUpAt(at: number, now: number): void {
    if (this.wakeAt !== null && this.wakeAt <= at) return;
    this.wakeAt = at;
    void this.sleep(Math.max(0, at - now)).then(() => {
      if (this.wakeAt === at) this.wakeAt = null;
      this.pump();
      this.notify();
    });
  }
}

/** Retry-After as milliseconds: delta seconds or an HTTP date. */
export function retryAfterMs(value: string | undefined, nowMs: number): number | null {
  const v = value?.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}
