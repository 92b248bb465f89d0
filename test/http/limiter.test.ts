import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { HostLimiter } from "../../src/http/limiter.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Record {
  host: string;
  start: number;
}

/** Runs `count` tasks per host through the limiter, recording starts and the most in flight. */
async function exercise(limiter: HostLimiter, hosts: string[], count: number, taskMs: number) {
  const starts: Record[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const perHost = new Map<string, number>();
  const maxPerHost = new Map<string, number>();
  const task = (host: string) => async () => {
    starts.push({ host, start: performance.now() });
    inFlight++;
    perHost.set(host, (perHost.get(host) ?? 0) + 1);
    maxInFlight = Math.max(maxInFlight, inFlight);
    maxPerHost.set(host, Math.max(maxPerHost.get(host) ?? 0, perHost.get(host)!));
    await sleep(taskMs);
    inFlight--;
    perHost.set(host, perHost.get(host)! - 1);
    return host;
  };
  const jobs = hosts.flatMap((host) => Array.from({ length: count }, () => limiter.run(host, task(host))));
  const results = await Promise.all(jobs);
  return { starts, maxInFlight, maxPerHost, results };
}

function gaps(starts: Record[], host: string): number[] {
  const times = starts.filter((s) => s.host === host).map((s) => s.start);
  return times.slice(1).map((t, i) => t - times[i]!);
}

describe("HostLimiter", () => {
  it("never runs more than perHostConcurrency tasks for one host", async () => {
    const limiter = new HostLimiter({ concurrency: 16, perHostConcurrency: 2, perHostPerSecond: 1000 });
    const { maxPerHost, results } = await exercise(limiter, ["a.test"], 8, 20);
    expect(maxPerHost.get("a.test")).toBe(2);
    expect(results).toHaveLength(8);
    expect(limiter.active).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  it("spaces starts on one host by 1/rate seconds", async () => {
    const limiter = new HostLimiter({ concurrency: 16, perHostConcurrency: 10, perHostPerSecond: 20 });
    const t0 = performance.now();
    const { starts } = await exercise(limiter, ["a.test", "b.test"], 5, 1);
    for (const host of ["a.test", "b.test"]) {
      const g = gaps(starts, host);
      expect(g).toHaveLength(4);
      // 50 ms apart; timers may fire a hair early, never a whole interval.
      for (const gap of g) expect(gap).toBeGreaterThanOrEqual(48);
    }
    // The two hosts do not wait for each other: 5 starts each take ~200 ms, not ~450 ms.
    expect(performance.now() - t0).toBeLessThan(400);
  });

  it("holds the global limit across hosts and still uses all of it", async () => {
    const limiter = new HostLimiter({ concurrency: 3, perHostConcurrency: 2, perHostPerSecond: 1000 });
    const { maxInFlight, maxPerHost } = await exercise(limiter, ["a", "b", "c", "d", "e", "f"], 3, 15);
    expect(maxInFlight).toBe(3);
    for (const n of maxPerHost.values()) expect(n).toBeLessThanOrEqual(2);
  });

  it("treats host names case-insensitively", async () => {
    const limiter = new HostLimiter({ perHostConcurrency: 1, perHostPerSecond: 1000 });
    let inFlight = 0;
    let max = 0;
    const task = async () => {
      max = Math.max(max, ++inFlight);
      await sleep(10);
      inFlight--;
    };
    await Promise.all([limiter.run("Example.COM", task), limiter.run("example.com", task)]);
    expect(max).toBe(1);
  });

  it("passes results and errors through and frees the slot after a failure", async () => {
    const limiter = new HostLimiter({ concurrency: 1, perHostPerSecond: 1000 });
    await expect(limiter.run("x", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(
      limiter.run("x", () => {
        throw new Error("sync boom");
      }),
    ).rejects.toThrow("sync boom");
    await expect(limiter.run("x", async () => 42)).resolves.toBe(42);
    expect(limiter.active).toBe(0);
  });

  it("waits for the rate with the injected clock and sleep, without polling", async () => {
    let now = 0;
    const sleeps: number[] = [];
    const limiter = new HostLimiter({
      perHostPerSecond: 2,
      now: () => now,
      sleep: (ms) => {
        sleeps.push(ms);
        return new Promise((resolve) =>
          setImmediate(() => {
            now += ms;
            resolve();
          }),
        );
      },
    });
    const startedAt: number[] = [];
    await Promise.all([1, 2, 3].map(() => limiter.run("h", async () => startedAt.push(now))));
    expect(startedAt).toEqual([0, 500, 1000]);
    expect(sleeps).toEqual([500, 500]);
  });

  it("rejects nonsense settings", () => {
    expect(() => new HostLimiter({ concurrency: 0 })).toThrow("concurrency");
    expect(() => new HostLimiter({ perHostPerSecond: -1 })).toThrow("perHostPerSecond");
  });
});
