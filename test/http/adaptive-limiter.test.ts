import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpClient, type HttpClient } from "../../src/http/client.js";
import { parseCidrs } from "../../src/http/guard.js";
import { announcedPerSecond, HostLimiter, SENT_JITTER_MS } from "../../src/http/limiter.js";
import { FakeClock } from "../helpers/clock.js";

/** The most timestamps within any window of `windowMs` (half-open: [t, t + windowMs)). */
function maxInWindow(times: readonly number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

interface Recorder {
  url: string;
  /** Arrival time of every request (performance.now() at the server). */
  arrivals: number[];
  /** What each request got: the status. */
  statuses: number[];
  close(): Promise<void>;
}

/** A loopback server that records when each request arrived; `answer(n)` picks the n-th request's reply. */
async function recorder(
  answer: (n: number) => { status: number; headers?: Record<string, string> },
  delayMs = 0,
): Promise<Recorder> {
  const arrivals: number[] = [];
  const statuses: number[] = [];
  const server = http.createServer((_req, res) => {
    const n = arrivals.length;
    arrivals.push(performance.now());
    const a = answer(n);
    statuses.push(a.status);
    const reply = () => res.writeHead(a.status, { "content-type": "text/plain", ...a.headers }).end("ok");
    if (delayMs > 0) setTimeout(reply, delayMs);
    else reply();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    arrivals,
    statuses,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

function client(limiter: HostLimiter): HttpClient {
  const c = createHttpClient({
    userAgent: "Poick-test",
    headersTimeoutMs: 5000,
    maxBodyBytes: 65_536,
    allowNets: parseCidrs(["127.0.0.0/8"]),
    clock: new FakeClock(),
    retries: 0,
    limiter,
  });
  opened.push(c);
  return c;
}

async function serve(answer: Parameters<typeof recorder>[0], delayMs = 0): Promise<Recorder> {
  const r = await recorder(answer, delayMs);
  opened.push(r);
  return r;
}

/** Time that moves only when the limiter sleeps: `clock.now` is where it has got to. */
function fakeTime() {
  const clock = {
    now: 0,
    options: {
      now: () => clock.now,
      sleep: (ms: number) =>
        new Promise<void>((resolve) =>
          setImmediate(() => {
            clock.now += ms;
            resolve();
          }),
        ),
    },
  };
  return clock;
}

describe("HostLimiter, adaptive", () => {
  it("never sends a host more than the ceiling in any 1-second window, as the host counts them", async () => {
    const limiter = new HostLimiter({ concurrency: 16, perHostConcurrency: 4, perHostPerSecond: 5 });
    const web = await serve(() => ({ status: 200 }));
    const http = client(limiter);
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => http.get(`${web.url}p${i}`)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(web.arrivals).toHaveLength(16);
    expect(maxInWindow(web.arrivals)).toBeLessThanOrEqual(5);
    expect(limiter.stats()).toMatchObject({ requests: 16, rateLimited: 0 });
    expect(limiter.stats().peakPerSecond).toBeLessThanOrEqual(5);
  });

  it("starts polite and rises towards the ceiling while the host answers quickly, never above it", async () => {
    const clock = fakeTime();
    const limiter = new HostLimiter({ perHostPerSecond: 8, startPerSecond: 2, ...clock.options });
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, () =>
        limiter.run("h.test", async () => {
          starts.push(clock.now);
          limiter.observe("h.test", { status: 200, ms: 50 });
        }),
      ),
    );
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    expect(gaps[0]).toBe(500); // 2 per second to begin with
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(125); // never faster than the ceiling's pace
    expect(gaps.at(-1)).toBeLessThan(500); // and it did rise
    expect(maxInWindow(starts)).toBeLessThanOrEqual(8);
    expect(maxInWindow(starts.slice(-16))).toBeGreaterThan(2);
    expect(limiter.rates()[0]?.rate).toBe(8);
  });

  it("halves the pace on 429 and waits out Retry-After before the next request", async () => {
    const limiter = new HostLimiter({ perHostConcurrency: 1, perHostPerSecond: 8 });
    const web = await serve((n) =>
      n === 2 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 },
    );
    const http = client(limiter);
    for (let i = 0; i < 5; i++) await http.get(`${web.url}p${i}`, { retryRateLimited: false });
    expect(web.statuses).toEqual([200, 200, 429, 200, 200]);
    const after429 = (web.arrivals[3] as number) - (web.arrivals[2] as number);
    expect(after429).toBeGreaterThanOrEqual(950); // Retry-After: 1
    expect(limiter.stats().rateLimited).toBe(1);
    const rate = limiter.rates().find((r) => r.host === "127.0.0.1")?.rate ?? 99;
    expect(rate).toBeLessThan(8);
  });

  it("holds a host below the limit it announces in RateLimit-Policy", async () => {
    const limiter = new HostLimiter({ perHostConcurrency: 4, perHostPerSecond: 8 });
    const web = await serve(() => ({ status: 200, headers: { "ratelimit-policy": "4;w=1" } }));
    const http = client(limiter);
    await http.get(`${web.url}first`);
    await Promise.all(Array.from({ length: 9 }, (_, i) => http.get(`${web.url}p${i}`)));
    expect(limiter.rates()[0]).toMatchObject({ announced: 4 });
    expect(limiter.rates()[0]?.rate).toBeLessThan(4);
    expect(maxInWindow(web.arrivals.slice(1))).toBeLessThan(4);
  });

  it("pauses a host whose X-RateLimit quota is used up until it resets", async () => {
    const limiter = new HostLimiter({ perHostConcurrency: 1, perHostPerSecond: 8 });
    const web = await serve((n) => ({
      status: 200,
      headers: {
        "x-ratelimit-limit": "2",
        "x-ratelimit-remaining": String(Math.max(0, 1 - n)),
        "x-ratelimit-reset": "1",
      },
    }));
    const http = client(limiter);
    for (let i = 0; i < 3; i++) await http.get(`${web.url}p${i}`);
    // The second answer said 0 left, reset in 1 s: the third waited for it.
    expect((web.arrivals[2] as number) - (web.arrivals[1] as number)).toBeGreaterThanOrEqual(900);
  });

  it("keeps each host's pace for the next scan and starts from it", () => {
    const a = new HostLimiter({ perHostPerSecond: 8, startPerSecond: 2 });
    a.seed([
      { host: "Fast.test", rate: 7, announced: null },
      { host: "limited.test", rate: 50, announced: 5 },
    ]);
    expect(a.rates()).toEqual([
      { host: "fast.test", rate: 7, announced: null },
      { host: "limited.test", rate: 4, announced: 5 },
    ]);
    expect(a.readyIn("fast.test")).toBe(0);
  });

  it("reads announced limits in their usual spellings", () => {
    expect(announcedPerSecond({ "ratelimit-policy": "10;w=1" })).toBe(10);
    expect(announcedPerSecond({ "ratelimit-policy": '"default";q=100;w=60' })).toBeCloseTo(100 / 60);
    expect(announcedPerSecond({ "ratelimit-policy": "100;w=60, 5;w=1" })).toBeCloseTo(100 / 60);
    expect(announcedPerSecond({ "x-ratelimit-policy": "3;w=1" })).toBe(3);
    expect(announcedPerSecond({ ratelimit: "limit=10, remaining=3, reset=1" })).toBeNull();
    expect(announcedPerSecond({})).toBeNull();
  });

  it("tells a scheduler which host can take a request now", async () => {
    const limiter = new HostLimiter({ perHostConcurrency: 1, perHostPerSecond: 1 });
    expect(limiter.readyIn("a.test")).toBe(0);
    let release: () => void = () => {};
    const running = limiter.run("a.test", () => new Promise<void>((r) => (release = r)));
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(limiter.readyIn("a.test")).toBeNull(); // busy: one in flight
    expect(limiter.readyIn("b.test")).toBe(0);
    let told = 0;
    limiter.subscribe(() => told++);
    release();
    await running;
    await new Promise((r) => setImmediate(r));
    expect(told).toBeGreaterThan(0);
    expect(limiter.readyIn("a.test")).toBeGreaterThan(0); // free, but its 1-per-second pace says wait
  });

  it("counts a request from when it left, not until its answer: slow answers do not slow the pace", async () => {
    const clock = fakeTime();
    const limiter = new HostLimiter({
      concurrency: 100,
      perHostConcurrency: 100,
      perHostPerSecond: 8,
      ...clock.options,
    });
    const starts: number[] = [];
    const answers: (() => void)[] = [];
    const tasks = Array.from({ length: 24 }, () =>
      limiter.run("slow.test", (answered, sent) => {
        starts.push(clock.now);
        sent(); // the headers left at once; the answer waits until every request has started
        return new Promise<void>((resolve) =>
          answers.push(() => {
            answered();
            resolve();
          }),
        );
      }),
    );
    for (let i = 0; i < 1000 && starts.length < 24; i++) await new Promise((r) => setImmediate(r));
    // Counted until their answers, the first 8 would have held the window shut for good.
    expect(starts).toHaveLength(24);
    expect(maxInWindow(starts, 1000 + SENT_JITTER_MS)).toBeLessThanOrEqual(8);
    expect(maxInWindow(starts, 1000 + SENT_JITTER_MS)).toBe(8);
    for (const answer of answers) answer();
    await Promise.all(tasks);
  });

  it("a host that answers slowly still sees at most the ceiling in any second of its own clock", async () => {
    const limiter = new HostLimiter({ concurrency: 16, perHostConcurrency: 4, perHostPerSecond: 5 });
    const web = await serve(() => ({ status: 200 }), 300);
    const http = client(limiter);
    const results = await Promise.all(Array.from({ length: 15 }, (_, i) => http.get(`${web.url}q${i}`)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(web.arrivals).toHaveLength(15);
    expect(maxInWindow(web.arrivals)).toBeLessThanOrEqual(5);
  });

  it("learns when a real request left: the next one may start before the first is answered", async () => {
    // The host answers nothing until it has seen two requests. Counted until its answer, the first
    // request would keep the one-per-second window shut for ever; counted from when it was written,
    // the second leaves after a second and both are answered.
    const limiter = new HostLimiter({ perHostConcurrency: 2, perHostPerSecond: 1 });
    const held: (() => void)[] = [];
    const server = http.createServer((_req, res) => {
      held.push(() => res.writeHead(200, { "content-type": "text/plain" }).end("ok"));
      if (held.length === 2) for (const release of held) release();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    opened.push({
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    });
    const { port } = server.address() as AddressInfo;
    const web = client(limiter);
    const results = await Promise.all([1, 2].map((i) => web.get(`http://127.0.0.1:${port}/r${i}`)));
    expect(results.map((r) => r.status)).toEqual([200, 200]);
  });
});
