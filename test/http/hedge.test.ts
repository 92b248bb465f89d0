import http from "node:http";
import type net from "node:net";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpClient, type HttpClientOptions } from "../../src/http/client.js";
import { parseCidrs } from "../../src/http/guard.js";
import { HostLimiter } from "../../src/http/limiter.js";
import { FakeClock } from "../helpers/clock.js";
import { startTestWeb, type TestWeb } from "../helpers/web.js";

// A request with no answer half-way through its headers timeout is sent again beside the first (a
// hedge). Real loopback servers; the bounds on time are generous fractions of the timeout, since a
// busy 2-core machine may be late by hundreds of milliseconds.

let web: TestWeb;
const clients: { close(): Promise<void> }[] = [];

/** When each request reached a host, and on which connection. */
const arrivals = new Map<string, { at: number; socket: net.Socket }[]>();
const note = (host: string, req: http.IncomingMessage) => {
  const list = arrivals.get(host) ?? [];
  list.push({ at: performance.now(), socket: req.socket });
  arrivals.set(host, list);
  return list.length;
};
const arrived = (host: string) => arrivals.get(host) ?? [];
const page = (res: http.ServerResponse, text: string) =>
  res.writeHead(200, { "content-type": "text/html" }).end(`<html><body>${text}</body></html>`);

function client(timeoutMs: number, over: Partial<HttpClientOptions> = {}) {
  const c = createHttpClient({
    userAgent: "Poick-test",
    headersTimeoutMs: timeoutMs,
    maxBodyBytes: 65_536,
    allowNets: parseCidrs(["127.0.0.0/8"]),
    lookup: web.lookup,
    clock: new FakeClock(),
    retries: 2,
    backoffMs: [20],
    ...over,
  });
  clients.push(c);
  return c;
}

/** The most arrivals within any one second. */
function peakPerSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= 1000) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

beforeAll(async () => {
  web = await startTestWeb();
  // Accepts, reads the request, never answers.
  web.route("hang.poick.test", (req) => void note("hang", req));
  web.route("limited.poick.test", (req) => void note("limited", req));
  web.route("alone.poick.test", (req) => void note("alone", req));
  // The first request hangs; any later one answers at once.
  web.route("second.poick.test", (req, res) => {
    if (note("second", req) > 1) page(res, "answered by the second request");
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await web.close();
});

describe("hedged requests", () => {
  it("a host that accepts and never answers costs one timeout and exactly two requests", async () => {
    const timeoutMs = 2_000;
    const t0 = performance.now();
    const r = await client(timeoutMs).get(web.url("hang.poick.test", "/"));
    const ms = performance.now() - t0;
    expect(r.error?.code).toBe("timeout");
    expect(r.status).toBeNull();
    expect(r.hedged).toBe(true);
    expect(r.attempts).toBe(2);
    const hits = arrived("hang");
    expect(hits).toHaveLength(2); // the first and its hedge; no retry after the timeout
    // The second went out while the first still waited, and both ended at the first's deadline:
    // one timeout, not a timeout and then a retry's timeout (≥ 2 × the timeout).
    expect(hits[1]!.at - hits[0]!.at).toBeLessThan(timeoutMs);
    expect(ms).toBeGreaterThanOrEqual(timeoutMs * 0.95);
    expect(ms).toBeLessThan(timeoutMs * 1.75);
  });

  it("a host whose first request hangs and second answers is read in about half the timeout", async () => {
    const timeoutMs = 2_000;
    const t0 = performance.now();
    const r = await client(timeoutMs).get(web.url("second.poick.test", "/"));
    const ms = performance.now() - t0;
    expect(r.error).toBeNull();
    expect(r.status).toBe(200);
    expect(r.body).toContain("answered by the second request");
    expect(r.hedged).toBe(true);
    expect(arrived("second")).toHaveLength(2);
    expect(ms).toBeGreaterThanOrEqual(timeoutMs * 0.45);
    expect(ms).toBeLessThan(timeoutMs * 0.85);
    expect(r.timings.ttfbMs).toBeGreaterThanOrEqual(timeoutMs * 0.45); // counted from the first request
  });

  it("a site that answers after 70% of the timeout is read, with at most one extra request", async () => {
    const timeoutMs = 2_000;
    let served = 0;
    web.route("slow.poick.test", (_req, res) => {
      served++;
      setTimeout(() => page(res, "slow but alive"), timeoutMs * 0.7);
    });
    const r = await client(timeoutMs).get(web.url("slow.poick.test", "/"));
    expect(r.error).toBeNull();
    expect(r.status).toBe(200);
    expect(r.body).toContain("slow but alive");
    expect(served).toBeGreaterThanOrEqual(1);
    expect(served).toBeLessThanOrEqual(2);
  });

  it("a request answered before the half-way mark is never sent twice", async () => {
    const timeoutMs = 4_000;
    let served = 0;
    web.route("prompt.poick.test", (_req, res) => {
      served++;
      setTimeout(() => page(res, "prompt"), 200);
    });
    const c = client(timeoutMs);
    for (let i = 0; i < 3; i++) {
      const r = await c.get(web.url("prompt.poick.test", `/${i}`));
      expect(r.status).toBe(200);
      expect(r.hedged).toBeUndefined();
      expect(r.attempts).toBe(1);
    }
    expect(served).toBe(3);
  });

  it("the hedge goes out on a connection of its own, not one kept alive in the pool", async () => {
    // The test web asks for 1-s keep-alive, which undici declines; this server keeps connections 10 s.
    const quick = new Set<net.Socket>();
    const seen: net.Socket[] = [];
    const server = http.createServer((req, res) => {
      if (req.url === "/quick") {
        quick.add(req.socket);
        return page(res, "quick");
      }
      seen.push(req.socket);
      if (seen.length > 1) page(res, "answered on a fresh connection");
    });
    server.keepAliveTimeout = 10_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const c = client(2_000);
      // As many idle keep-alive connections as the pool keeps (4): the slow request takes one of
      // them, and a hedge through the same pool would take another.
      await Promise.all([1, 2, 3, 4].map(() => c.get(`${base}/quick`)));
      expect(quick.size).toBe(4);
      const r = await c.get(`${base}/slow`);
      expect(r.status).toBe(200);
      expect(r.body).toContain("fresh connection");
      const [first, hedge] = seen;
      expect(quick.has(first!)).toBe(true); // the slow request went on a pooled connection
      expect(quick.has(hedge!)).toBe(false); // its hedge opened one of its own
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("hedges go through the host limiter: never more than the ceiling in any second", async () => {
    const timeoutMs = 2_000;
    const limiter = new HostLimiter({ concurrency: 16, perHostConcurrency: 8, perHostPerSecond: 2 });
    const c = client(timeoutMs, { limiter, retries: 0 });
    const results = await Promise.all([1, 2, 3].map((i) => c.get(web.url("limited.poick.test", `/${i}`))));
    for (const r of results) expect(r.error?.code).toBe("timeout");
    const times = arrived("limited").map((h) => h.at);
    // Three requests and up to one hedge each; the hedges wait their turn like any request.
    expect(times.length).toBeGreaterThanOrEqual(4);
    expect(times.length).toBeLessThanOrEqual(6);
    expect(peakPerSecond(times)).toBeLessThanOrEqual(2);
    expect(limiter.stats().peakPerSecond).toBeLessThanOrEqual(2);
    expect(limiter.stats().requests).toBe(times.length);
  });

  it("a hedge that cannot get its host's slot before the deadline never goes out; the one retry comes after", async () => {
    const timeoutMs = 1_000;
    // One request at a time to the host: the hedge waits for the first request's slot until its deadline.
    const limiter = new HostLimiter({ concurrency: 16, perHostConcurrency: 1, perHostPerSecond: 10 });
    const r = await client(timeoutMs, { limiter }).get(web.url("alone.poick.test", "/"));
    expect(r.error?.code).toBe("timeout");
    expect(r.hedged).toBeUndefined();
    const hits = arrived("alone");
    expect(hits).toHaveLength(2); // the first and its one retry, after it
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(timeoutMs * 0.95);
    expect(limiter.stats().requests).toBe(2); // the hedge that never went out never counted
  });
});
