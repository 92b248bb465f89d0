import { describe, expect, it } from "vitest";
import type { Prober } from "../../src/liveness/probe.js";
import { cachingProber, responseKey } from "../../src/liveness/response-cache.js";
import { probeResult } from "../helpers/probe-result.js";

/** A prober that answers from a table and counts what it was asked. */
function table(answers: Record<string, Parameters<typeof probeResult>[0]>) {
  const asked: string[] = [];
  const prober: Prober = {
    async probe(url) {
      asked.push(url);
      return probeResult({ url, finalUrl: url, ...answers[url] });
    },
  };
  return { prober, asked };
}

describe("cachingProber", () => {
  it("asks the network once per URL in a scan, also when both asks are in flight together", async () => {
    const { prober, asked } = table({ "https://a.test/x": { status: 200, body: "hi" } });
    const cached = cachingProber(prober);
    const [one, two] = await Promise.all([
      cached.probe("https://a.test/x"),
      cached.probe("https://a.test/x#top"),
    ]);
    const three = await cached.probe("https://A.test/x");
    expect(asked).toEqual(["https://a.test/x"]);
    expect([one.body, two.body, three.body]).toEqual(["hi", "hi", "hi"]);
    expect(two.url).toBe("https://a.test/x#top");
    expect(cached.hits).toBe(2);
    expect(cached.misses).toBe(1);
  });

  it("a renamed Meetup group: the new address, reached by a redirect, is not fetched again", async () => {
    const old = "https://www.meetup.com/PyOld/";
    const renamed = "https://www.meetup.com/pynew/";
    const { prober, asked } = table({
      [old]: {
        status: 200,
        finalUrl: renamed,
        body: "page",
        hops: [
          { url: old, status: 301, location: renamed, ms: 1 },
          { url: renamed, status: 200, location: null, ms: 1 },
        ],
      },
    });
    const cached = cachingProber(prober);
    await cached.probe(old);
    const again = await cached.probe("https://www.meetup.com/PyNew");
    expect(asked).toEqual([old]);
    expect(again.body).toBe("page");
    expect(again.hops).toHaveLength(1);
  });

  it("keeps no 429 or timeout: those are asked again later on purpose", async () => {
    const { prober, asked } = table({
      "https://busy.test/": { status: 429 },
      "https://slow.test/": { status: null, error: { code: "timeout", message: "slow" } },
    });
    const cached = cachingProber(prober);
    for (let i = 0; i < 2; i++) {
      await cached.probe("https://busy.test/");
      await cached.probe("https://slow.test/");
    }
    expect(asked).toHaveLength(4);
  });

  it("keeps the most recently used answers only, within its entry and body limits", async () => {
    const big = "x".repeat(10_000);
    const { prober, asked } = table({
      "https://a.test/": { status: 200, body: "a" },
      "https://b.test/": { status: 200, body: "b" },
      "https://c.test/": { status: 200, body: "c" },
      "https://big.test/": { status: 200, body: big },
    });
    const cached = cachingProber(prober, { maxEntries: 2, maxBodyChars: 8_000 });
    await cached.probe("https://a.test/");
    await cached.probe("https://b.test/");
    await cached.probe("https://a.test/"); // a hit: a is now the most recently used
    await cached.probe("https://c.test/"); // b, the oldest, makes room
    await cached.probe("https://a.test/");
    await cached.probe("https://b.test/");
    expect(asked).toEqual(["https://a.test/", "https://b.test/", "https://c.test/", "https://b.test/"]);
    // A body over the limit is not kept at all.
    await cached.probe("https://big.test/");
    await cached.probe("https://big.test/");
    expect(asked.filter((u) => u === "https://big.test/")).toHaveLength(2);
  });

  it("a calendar and a page at one address are different answers", () => {
    expect(responseKey("https://a.test/x", "text/calendar")).not.toBe(responseKey("https://a.test/x"));
    expect(responseKey("https://www.meetup.com/PyKonik/")).toBe(
      responseKey("https://www.meetup.com/pykonik"),
    );
    expect(responseKey("https://a.test/Path")).not.toBe(responseKey("https://a.test/path"));
  });
});
