import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/connect.js";
import { getGroupById } from "../../src/db/groups.js";
import { loadHostRates } from "../../src/db/host-rates.js";
import { createHttpClient } from "../../src/http/client.js";
import { parseCidrs } from "../../src/http/guard.js";
import { HostLimiter } from "../../src/http/limiter.js";
import { type ScanDeps, type ScanProgress, scanGroups } from "../../src/jobs/scan.js";
import { createProber } from "../../src/liveness/probe.js";
import { silentLogger } from "../../src/logger.js";
import { FakeClock } from "../helpers/clock.js";
import { tempDb } from "../helpers/db.js";
import { seedGroups } from "../helpers/seed.js";
import { startTestWeb, type TestWeb } from "../helpers/web.js";

const DAY = 86_400_000;
const future = new Date(Date.now() + 20 * DAY).toISOString();

/** A group page; with `event`, its JSON-LD names an upcoming meetup; it always links its calendar. */
const groupPage = (name: string, event: boolean) => `<!doctype html><html><head><title>${name}</title>
<link rel="alternate" type="text/calendar" href="/${name}/events.ics">
${event ? `<script type="application/ld+json">${JSON.stringify({ "@context": "https://schema.org", "@type": "Event", name: `${name} meetup`, startDate: future })}</script>` : ""}
</head><body><h1>${name}</h1><p>The Python user group ${name}: we meet monthly for talks.</p></body></html>`;

const calendar = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART:${future.slice(0, 10).replaceAll("-", "")}T180000Z\r\nSUMMARY:Meetup\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

let web: TestWeb;
let rateLimitedOnce = true;
const hangAt: number[] = [];

beforeAll(async () => {
  web = await startTestWeb();
  web.route("canary.test", (_req, res) => res.writeHead(200).end("ok"));
  // A Meetup-like host: group pages and their calendars, many groups on one host.
  web.route("groups.test", (req, res) => {
    const path = req.url ?? "/";
    const m = /^\/([\w-]+)\/(events\.ics)?$/.exec(path);
    if (!m) return res.writeHead(404).end("no");
    if (m[2]) return res.writeHead(200, { "content-type": "text/calendar" }).end(calendar);
    const name = m[1] as string;
    res.writeHead(200, { "content-type": "text/html" }).end(groupPage(name, !name.startsWith("quiet")));
  });
  web.route("busy.test", (req, res) => {
    if (rateLimitedOnce) {
      rateLimitedOnce = false;
      return res.writeHead(429, { "retry-after": "1", "content-type": "text/html" }).end("slow down");
    }
    res.writeHead(200, { "content-type": "text/html" }).end(groupPage(req.url?.slice(1) || "busy", true));
  });
  // Two wiki pages (two listed groups) naming the same website.
  const wikiPage = (site: string) => (_req: unknown, res: import("node:http").ServerResponse) =>
    res
      .writeHead(200, { "content-type": "text/html" })
      .end(
        `<html><body><div id="content"><p>Our site: <a class="http" href="${site}">site</a></p></div></body></html>`,
      );
  web.route("wiki.poick.test", {
    "/moin/PyShared": (req, res) => wikiPage(web.url("groups.test", "/pyshared/"))(req, res),
    "/moin/PySharedToo": (req, res) => wikiPage(web.url("groups.test", "/pyshared/"))(req, res),
  });
  web.route("down.test", (_req, res) => res.writeHead(500, { "content-type": "text/html" }).end("boom"));
  // Accepts, reads the request, never answers; notes when each request arrived.
  web.route("hang.test", () => {
    hangAt.push(performance.now());
  });
  for (const h of ["a", "b", "c", "d", "e", "f"]) {
    web.route(`${h}.single.test`, (_req, res) =>
      res.writeHead(200, { "content-type": "text/html" }).end(groupPage(`solo-${h}`, true)),
    );
  }
});
afterAll(() => web.close());

/**
 * `timeoutMs`: the headers timeout. A request with no answer half-way through it is hedged (sent
 * again), so tests that count requests on prompt hosts keep it well above a busy machine's hiccups.
 */
function deps(
  db: Db,
  clock: FakeClock,
  limiter: HostLimiter,
  over: Partial<ScanDeps["settings"]> = {},
  timeoutMs = 2_000,
) {
  const d: ScanDeps = {
    db,
    clock,
    logger: silentLogger,
    prober: createProber(
      createHttpClient({
        userAgent: "Poick-test",
        headersTimeoutMs: timeoutMs,
        maxBodyBytes: 1_048_576,
        allowNets: parseCidrs(["127.0.0.0/8"]),
        lookup: web.lookup,
        clock,
        retries: 1,
        backoffMs: [5],
        limiter,
      }),
    ),
    pacer: limiter,
    settings: {
      deadAfterChecks: 3,
      deadAfterHours: 24,
      dormantAfterDays: 365,
      canaryUrls: [web.url("canary.test", "/")],
      concurrency: 4,
      wikiHosts: ["wiki.poick.test"],
      ...over,
    },
    sleep: async (ms) => clock.advance(ms),
  };
  return d;
}

const paths = (host: string) => web.log.filter((h) => h.host === host).map((h) => h.path);

describe("scan: fewest requests, no head-of-line blocking", () => {
  it("one request per group when the page answers; the calendar only when it leaves the verdict open; no URL twice", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const limiter = new HostLimiter({ concurrency: 16, perHostConcurrency: 4, perHostPerSecond: 100 });
    const ids = await seedGroups(db, [
      { name: "pyone", url: web.url("groups.test", "/pyone/") },
      { name: "pytwo", url: web.url("groups.test", "/pytwo/") },
      { name: "quietpy", url: web.url("groups.test", "/quietpy/") },
      // Two listed groups whose wiki pages name the same website.
      { name: "pyshared", url: web.url("wiki.poick.test", "/moin/PyShared") },
      { name: "pyshared", url: web.url("wiki.poick.test", "/moin/PySharedToo") },
    ]);
    const before = web.log.length;
    const out = await scanGroups(deps(db, clock, limiter));
    expect(out.kind).toBe("done");
    if (out.kind !== "done") return;
    for (const id of ids) expect((await getGroupById(db, id))?.status).toBe("alive");
    const seen = web.log
      .slice(before)
      .filter((h) => h.host === "groups.test")
      .map((h) => h.path);
    // pyone and pytwo: the page's upcoming event settles it. quietpy: no dates, so its calendar.
    expect(seen.sort()).toEqual(["/pyone/", "/pyshared/", "/pytwo/", "/quietpy/", "/quietpy/events.ics"]);
    expect(web.log.slice(before).filter((h) => h.host === "canary.test")).toHaveLength(1);
    // 5 pages and a calendar on groups.test, 2 wiki pages, the canary: 8 requests for 5 groups.
    expect(out.figures).toMatchObject({ requests: 8, rateLimited: 0, deferred: 0, reused: 1 });
    expect(out.figures.requestsPerGroup).toBe(1.6);
    expect((await getGroupById(db, ids[2]!))?.next_event_at).not.toBeNull();
  });

  it("a 429 is never a verdict: the group is asked again later in the same scan", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const limiter = new HostLimiter({ concurrency: 16, perHostConcurrency: 4, perHostPerSecond: 100 });
    rateLimitedOnce = true;
    const [id] = await seedGroups(db, [{ name: "busy", url: web.url("busy.test", "/busy") }]);
    const out = await scanGroups(deps(db, clock, limiter));
    expect(out.kind === "done" && out.figures.rateLimited).toBe(1);
    const g = (await getGroupById(db, id!))!;
    expect(g.status).toBe("alive");
    expect(g.reason).toBe("upcoming_event");
    const checks = await db.selectFrom("checks").select("reason").where("group_id", "=", id!).execute();
    expect(checks.map((c) => c.reason)).toEqual(["upcoming_event"]);
    expect(paths("busy.test").slice(-2)).toEqual(["/busy", "/busy"]);
  });

  it("a hanging host costs one timeout: its one retry is a hedge beside the first request, while the rest of the scan goes on", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const limiter = new HostLimiter({ concurrency: 16, perHostConcurrency: 4, perHostPerSecond: 2 });
    const ids = await seedGroups(db, [
      { name: "hang", url: web.url("hang.test", "/") },
      ...Array.from({ length: 8 }, (_, i) => ({ name: `py${i}`, url: web.url("groups.test", `/py${i}/`) })),
    ]);
    const timeoutMs = 1_000;
    const hangBefore = web.hits("hang.test");
    hangAt.length = 0;
    const order: string[] = [];
    const out = await scanGroups(deps(db, clock, limiter, { concurrency: 2 }, timeoutMs), {
      onProgress: (p: ScanProgress) => order.push(p.group.name),
    });
    expect(out.kind).toBe("done");
    expect(web.hits("hang.test") - hangBefore).toBe(2); // the first try and one retry, no more
    // The retry went out while the first request still waited (half-way through its timeout), not
    // after it timed out: one timeout in all. (Before: a timeout, 0.5 s, then the retry's timeout.)
    expect(hangAt).toHaveLength(2);
    expect(hangAt[1]! - hangAt[0]!).toBeLessThan(timeoutMs);
    const hang = (await getGroupById(db, ids[0]!))!;
    expect(hang.reason).toBe("timeout");
    expect(hang.status).toBe("unknown"); // never dead
    const checks = await db.selectFrom("checks").select("reason").where("group_id", "=", ids[0]!).execute();
    expect(checks).toHaveLength(1);
    // At 2 requests per second the 8 groups on groups.test take about 4 s; the hanging host's one
    // timeout (1 s) is over long before: its verdict is not a tail after everything else.
    expect(order.indexOf("hang")).toBeLessThan(order.length - 1);
    expect(order.indexOf("hang")).toBeGreaterThan(-1);
  });

  it("a timeout that was not hedged (the host had no slot for it) gets its one retry from the scan, later", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    // One request at a time per host: the hedge waits for the first request's slot until its deadline.
    const limiter = new HostLimiter({ concurrency: 16, perHostConcurrency: 1, perHostPerSecond: 10 });
    const [id] = await seedGroups(db, [{ name: "hang", url: web.url("hang.test", "/") }]);
    const timeoutMs = 1_000;
    hangAt.length = 0;
    const out = await scanGroups(deps(db, clock, limiter, {}, timeoutMs));
    expect(out.kind).toBe("done");
    expect(hangAt).toHaveLength(2); // the first try and one retry, no more
    expect(hangAt[1]! - hangAt[0]!).toBeGreaterThanOrEqual(timeoutMs * 0.95); // the retry came after
    const hang = (await getGroupById(db, id!))!;
    expect(hang.reason).toBe("timeout");
    expect(hang.status).toBe("unknown");
  });

  it("the busiest host starts first and never makes the others wait behind it", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    // One request per second per host: the 6 groups on groups.test need about 5 s.
    const limiter = new HostLimiter({ concurrency: 16, perHostConcurrency: 4, perHostPerSecond: 1 });
    await seedGroups(db, [
      ...["a", "b", "c"].map((h) => ({ name: `solo-${h}`, url: web.url(`${h}.single.test`, "/") })),
      ...Array.from({ length: 6 }, (_, i) => ({ name: `py${i}`, url: web.url("groups.test", `/pyq${i}/`) })),
      ...["d", "e", "f"].map((h) => ({ name: `solo-${h}`, url: web.url(`${h}.single.test`, "/") })),
    ]);
    const start = web.log.length;
    const order: string[] = [];
    // No check is started while its host cannot take a request: nothing ever waits in the limiter.
    let mostWaiting = 0;
    limiter.subscribe(() => {
      mostWaiting = Math.max(mostWaiting, limiter.waiting);
    });
    const out = await scanGroups(deps(db, clock, limiter, { concurrency: 2 }), {
      onProgress: (p) => order.push(p.host),
    });
    expect(mostWaiting).toBe(0);
    expect(out.kind).toBe("done");
    const requests = web.log.slice(start).filter((h) => h.host !== "canary.test");
    expect(requests[0]?.host).toBe("groups.test"); // the host with the most groups goes first
    // Every single-group host is done before the busy host's last group: none waited in its line.
    const lastBusy = order.lastIndexOf("groups.test");
    for (const h of ["a", "b", "c", "d", "e", "f"])
      expect(order.indexOf(`${h}.single.test`)).toBeLessThan(lastBusy);
    expect(out.kind === "done" && out.figures.peakPerHostPerSecond).toBe(1);
  });

  it("a first judgement's soft failure is asked again by the 20-s hold only: 3 requests, not 3 × 3", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const limiter = new HostLimiter({ concurrency: 16, perHostConcurrency: 4, perHostPerSecond: 100 });
    const [id] = await seedGroups(db, [{ name: "down", url: web.url("down.test", "/") }]);
    const before = web.hits("down.test");
    const out = await scanGroups(deps(db, clock, limiter));
    expect(out.kind).toBe("done");
    expect((await getGroupById(db, id!))?.reason).toBe("http_5xx");
    expect(web.hits("down.test") - before).toBe(3); // the first check, then half-way and at the end of the hold
  });

  it("keeps each host's pace for the next scan", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const limiter = new HostLimiter({ perHostPerSecond: 8, startPerSecond: 2 });
    await seedGroups(db, [{ name: "pyone", url: web.url("groups.test", "/pyone/") }]);
    await scanGroups(deps(db, clock, limiter));
    const kept = await loadHostRates(db, "2000-01-01");
    const rate = kept.find((r) => r.host === "groups.test")?.rate ?? 0;
    expect(rate).toBeGreaterThan(2); // a quick answer raised it from the polite start
    const next = new HostLimiter({ perHostPerSecond: 8, startPerSecond: 2 });
    await scanGroups(deps(db, clock, next));
    expect(next.rates().find((r) => r.host === "groups.test")?.rate).toBeGreaterThanOrEqual(rate);
  });
});
