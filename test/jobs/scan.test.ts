import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/connect.js";
import { getGroupById } from "../../src/db/groups.js";
import { recentChecks, startOrResumeScan } from "../../src/db/scans.js";
import { createHttpClient } from "../../src/http/client.js";
import { parseCidrs } from "../../src/http/guard.js";
import { HostLimiter } from "../../src/http/limiter.js";
import { type ScanDeps, scanGroups } from "../../src/jobs/scan.js";
import { createProber } from "../../src/liveness/probe.js";
import { silentLogger } from "../../src/logger.js";
import { FakeClock } from "../helpers/clock.js";
import { tempDb } from "../helpers/db.js";
import { seedGroups } from "../helpers/seed.js";
import { startTestWeb, type TestWeb } from "../helpers/web.js";

const PAGES = join(import.meta.dirname, "../fixtures/pages");
const page = (f: string) => readFileSync(join(PAGES, f), "utf8");
const html = (body: string) =>
  `<!doctype html><html><head><title>Python User Group</title></head><body>${body}</body></html>`;

let web: TestWeb;
const state: Record<string, number> = { flaky: 200, canary: 200, restartingHits: 0, restartingFailures: 0 };

beforeAll(async () => {
  web = await startTestWeb();
  web.route("canary.test", (_req, res) => {
    if (state.canary === 0) res.socket?.destroy();
    else res.writeHead(200).end("ok");
  });
  web.route("alive.test", (_req, res) =>
    res
      .writeHead(200, { "content-type": "text/html" })
      .end(html("<h1>Python User Group</h1><p>We meet monthly.</p>")),
  );
  web.route("gone.test", (_req, res) => res.writeHead(404, { "content-type": "text/html" }).end("not found"));
  web.route("walled.test", (_req, res) =>
    res.writeHead(403, { "content-type": "text/html" }).end("forbidden"),
  );
  web.route("parked.test", (_req, res) =>
    res.writeHead(200, { "content-type": "text/html" }).end(page("parked-sedo.html")),
  );
  web.route("flaky.test", (_req, res) => {
    if (state.flaky === 200)
      res.writeHead(200, { "content-type": "text/html" }).end(html("<h1>Python Flaky</h1>"));
    else res.writeHead(state.flaky as number, { "content-type": "text/html" }).end("down");
  });
  web.route("restarting.test", (_req, res) => {
    state.restartingHits = (state.restartingHits ?? 0) + 1;
    if ((state.restartingHits as number) <= (state.restartingFailures ?? 0)) {
      res.writeHead(503, { "content-type": "text/html" }).end("starting up");
    } else res.writeHead(200, { "content-type": "text/html" }).end(html("<h1>Python Restarting</h1>"));
  });
  web.route("down.test", (_req, res) => res.writeHead(500, { "content-type": "text/html" }).end("boom"));
  // The wiki: one group page naming its website, one naming none, one that doesn't exist.
  web.route("wiki.poick.test", {
    "/moin/PyNamed": (_req, res) =>
      res
        .writeHead(200, { "content-type": "text/html" })
        .end(
          `<html><body><div id="header"><a href="https://example.org/ad">ad</a></div><div id="content"><h1>PyNamed</h1><p>Our site: <a class="http" href="${web.url("named-site.test", "/")}">named-site</a></p></div></body></html>`,
        ),
    "/moin/PyNoSite": (_req, res) =>
      res
        .writeHead(200, { "content-type": "text/html" })
        .end('<html><body><div id="content"><p>We meet sometimes.</p></div></body></html>'),
    "/moin/PyMissing": (_req, res) =>
      res
        .writeHead(404, { "content-type": "text/html" })
        .end('<html><body><div id="content"><p>This page does not exist yet.</p></div></body></html>'),
  });
  web.route("named-site.test", (_req, res) =>
    res
      .writeHead(200, { "content-type": "text/html" })
      .end(html("<h1>PyNamed</h1><p>The Python user group of Named. Monthly meetups.</p>")),
  );
  web.route("www.meetup.com", (req, res) => {
    if (req.url?.startsWith("/quiet-python")) res.writeHead(404, { "content-type": "text/html" }).end("gone");
    else res.writeHead(200, { "content-type": "text/html" }).end(page("meetup-group.html"));
  });
  web.resolve("bait.test", "10.0.0.5");
});
afterAll(() => web.close());

function deps(db: Db, clock: FakeClock, over: Partial<ScanDeps["settings"]> = {}): ScanDeps {
  const slept: number[] = [];
  const limiter = new HostLimiter({ concurrency: 8, perHostConcurrency: 4, perHostPerSecond: 100 });
  return {
    db,
    clock,
    logger: silentLogger,
    prober: createProber(
      createHttpClient({
        userAgent: "Poick-test",
        headersTimeoutMs: 2000,
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
    // Retries wait on the fake clock, so a 20-second hold costs no real time.
    sleep: async (ms) => {
      slept.push(ms);
      clock.advance(ms);
    },
  };
}

describe("scanGroups", () => {
  it("a first scan on a fresh database answers at once, and bait addresses are never contacted", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const ids = await seedGroups(db, [
      { name: "Alive", url: web.url("alive.test", "/") },
      { name: "Gone", url: web.url("gone.test", "/group") },
      { name: "Walled", url: web.url("walled.test", "/") },
      { name: "Parked", url: web.url("parked.test", "/") },
      { name: "Bait", url: "http://bait.test/" },
    ]);
    const out = await scanGroups(deps(db, clock));
    expect(out.kind).toBe("done");
    if (out.kind !== "done") return;
    const st = async (i: number) => (await getGroupById(db, ids[i]!))!;
    expect((await st(0)).status).toBe("alive");
    expect((await st(1)).status).toBe("dead");
    expect((await st(1)).reason).toBe("http_404");
    expect((await st(2)).status).toBe("unknown");
    expect((await st(3)).status).toBe("dead");
    expect((await st(4)).status).toBe("unknown");
    expect((await st(4)).reason).toBe("forbidden_address");
    expect(web.hits("bait.test")).toBe(0);
    expect(out.counts).toEqual({ alive: 1, dormant: 0, dead: 2, unknown: 2 });
    expect(out.transitions).toEqual([]); // never seen alive: no alerts
  });

  it("a live group turns dead only after 3 failed checks over 24 h; one good check clears it", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const [id] = await seedGroups(db, [{ name: "Flaky", url: web.url("flaky.test", "/") }]);
    const d = deps(db, clock);
    state.flaky = 200;
    await scanGroups(d);
    expect((await getGroupById(db, id!))?.status).toBe("alive");

    state.flaky = 404;
    for (const hours of [6, 6]) {
      clock.advanceHours(hours);
      const o = await scanGroups(d);
      expect(o.kind === "done" && o.transitions).toEqual([]);
      const g = await getGroupById(db, id!);
      expect(g?.status).toBe("alive");
      expect(g?.failing_since).not.toBeNull();
    }
    state.flaky = 200;
    clock.advanceHours(6);
    await scanGroups(d);
    expect((await getGroupById(db, id!))?.failing_since).toBeNull();

    state.flaky = 404;
    for (const hours of [6, 12]) {
      clock.advanceHours(hours);
      await scanGroups(d);
      expect((await getGroupById(db, id!))?.status).toBe("alive");
    }
    clock.advanceHours(12);
    const last = await scanGroups(d);
    expect(last.kind === "done" && last.transitions).toEqual([{ id, name: "Flaky", transition: "dead" }]);
    expect((await getGroupById(db, id!))?.status).toBe("dead");

    state.flaky = 200;
    clock.advanceHours(6);
    const back = await scanGroups(d);
    expect(back.kind === "done" && back.transitions[0]?.transition).toBe("revived");
    state.flaky = 200;
  });

  it("transient 5xx does not flip a live group", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const [id] = await seedGroups(db, [{ name: "Flaky", url: web.url("flaky.test", "/") }]);
    const d = deps(db, clock);
    state.flaky = 200;
    await scanGroups(d);
    state.flaky = 503;
    clock.advanceHours(1);
    await scanGroups(d);
    state.flaky = 200;
    clock.advanceHours(1);
    await scanGroups(d);
    const g = await getGroupById(db, id!);
    expect(g?.status).toBe("alive");
    expect(g?.consecutive_failures).toBe(0);
  });

  it("with the canary down, nothing changes and nothing is recorded", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const [id] = await seedGroups(db, [{ name: "Gone", url: web.url("gone.test", "/") }]);
    state.canary = 0;
    try {
      const out = await scanGroups(deps(db, clock));
      expect(out.kind).toBe("offline");
      const g = await getGroupById(db, id!);
      expect(g?.status).toBe("unknown");
      expect(g?.last_checked_at).toBeNull();
      expect(await recentChecks(db, id!)).toHaveLength(0);
      expect(web.hits("gone.test")).toBeGreaterThanOrEqual(0);
    } finally {
      state.canary = 200;
    }
  });

  it("a scan killed half-way is resumed: no group is checked twice in one scan", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const ids = await seedGroups(db, [
      { name: "A", url: web.url("alive.test", "/a") },
      { name: "B", url: web.url("alive.test", "/b") },
      { name: "C", url: web.url("alive.test", "/c") },
    ]);
    const d = deps(db, clock);
    // A scan that checked one group and was killed.
    const first = await scanGroups(d, { groupIds: [ids[0]!] });
    expect(first.kind).toBe("done");
    const started = await startOrResumeScan(db, clock.now().toISOString(), "2000-01-01", 3);
    await db.updateTable("checks").set({ scan_id: started.scanId }).where("group_id", "=", ids[0]!).execute();
    const before = web.hits("alive.test");
    const out = await scanGroups(d);
    expect(out.kind === "done" && out.resumed).toBe(true);
    expect(out.kind === "done" && out.skipped).toBe(1);
    expect(out.kind === "done" && out.checked).toBe(2);
    expect(web.hits("alive.test") - before).toBe(2);
    const perScan = await db
      .selectFrom("checks")
      .select(["group_id"])
      .where("scan_id", "=", started.scanId)
      .execute();
    expect(perScan.map((c) => c.group_id).sort()).toEqual([...ids].sort());
  });

  it("a first check's soft failure is death only when it held through 20 s of retries", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    // Down is checked first (a scan reads groups in id order): both groups' retries wait on one fake clock
    // that every sleep moves at once, so each sees the other's waits too; checked second, Restarting
    // still gets its retry inside the hold, as when scans went in name order.
    const [down, restarting] = await seedGroups(db, [
      { name: "Down", url: web.url("down.test", "/") },
      { name: "Restarting", url: web.url("restarting.test", "/") },
    ]);
    state.restartingHits = 0;
    state.restartingFailures = 2; // the probe's own retry sees a 503 too; the scan's later retry sees it up
    const t0 = clock.now().getTime();
    const out = await scanGroups(deps(db, clock));
    expect(out.kind).toBe("done");
    const r = (await getGroupById(db, restarting!))!;
    expect(r.status).toBe("alive");
    const d = (await getGroupById(db, down!))!;
    expect(d.status).toBe("dead");
    expect(d.reason).toBe("http_5xx");
    expect(clock.now().getTime() - t0).toBeGreaterThanOrEqual(20_000);
    const [last] = await recentChecks(db, down!, 1);
    expect(Date.parse(last!.checked_at) - t0).toBeGreaterThanOrEqual(20_000);
    expect(out.kind === "done" && out.transitions).toEqual([]);
  });

  it("a group first judged dead comes back without a 'revived' alert", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const [id] = await seedGroups(db, [{ name: "Flaky", url: web.url("flaky.test", "/") }]);
    state.flaky = 404;
    await scanGroups(deps(db, clock));
    expect((await getGroupById(db, id!))?.status).toBe("dead");
    state.flaky = 200;
    clock.advanceHours(6);
    const back = await scanGroups(deps(db, clock));
    expect(back.kind === "done" && back.transitions).toEqual([]);
    expect((await getGroupById(db, id!))?.status).toBe("alive");
  });

  it("repeated admin rescans add one failure per scan window", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const [id] = await seedGroups(db, [{ name: "Flaky", url: web.url("flaky.test", "/") }]);
    const d = deps(db, clock, { deadAfterChecks: 3, deadAfterHours: 0 });
    state.flaky = 200;
    await scanGroups(d);
    state.flaky = 404;
    for (let i = 0; i < 5; i++) {
      clock.advance(60_000);
      await scanGroups(d, { groupIds: [id!] });
    }
    const g = (await getGroupById(db, id!))!;
    expect(g.status).toBe("alive");
    expect(g.consecutive_failures).toBe(1);
    clock.advanceHours(7);
    await scanGroups(d, { groupIds: [id!] });
    expect((await getGroupById(db, id!))?.consecutive_failures).toBe(2);
    state.flaky = 200;
  });

  it("a link to the group's wiki page is judged by the website that page names", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const [named, noSite, missing] = await seedGroups(db, [
      { name: "PyNamed", url: web.url("wiki.poick.test", "/moin/PyNamed") },
      { name: "PyNoSite", url: web.url("wiki.poick.test", "/moin/PyNoSite") },
      { name: "PyMissing", url: web.url("wiki.poick.test", "/moin/PyMissing") },
    ]);
    await scanGroups(deps(db, clock));
    const a = (await getGroupById(db, named!))!;
    expect(a.status).toBe("alive");
    const [check] = await recentChecks(db, named!, 1);
    const ev = JSON.parse(check!.evidence) as Record<string, unknown>;
    expect(ev.viaWiki).toBe(web.url("wiki.poick.test", "/moin/PyNamed"));
    expect(ev.why).toMatch(/wiki page names \(named-site\.test\)/);
    expect(web.hits("named-site.test")).toBeGreaterThan(0);
    for (const id of [noSite!, missing!]) {
      const g = (await getGroupById(db, id))!;
      expect(g.status).toBe("unknown");
      expect(g.reason).toBe("no_website");
    }
    const [gone] = await recentChecks(db, missing!, 1);
    expect(JSON.parse(gone!.evidence).why).toMatch(/doesn't exist/);
  });
  it("a dead website with an active Meetup group is alive by that evidence, and no death is announced", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const meetup = web.url("www.meetup.com", "/python-users-group-zurich/");
    const [withMeetup, quietMeetup, noChannel] = await seedGroups(db, [
      {
        name: "PyZurich",
        url: web.url("gone.test", "/pyzurich"),
        channels: [{ kind: "meetup", url: meetup }],
      },
      {
        name: "PyQuiet",
        url: web.url("gone.test", "/pyquiet"),
        channels: [{ kind: "meetup", url: web.url("www.meetup.com", "/quiet-python/") }],
      },
      { name: "PyNoChannel", url: web.url("gone.test", "/nochannel") },
    ]);
    // Both were seen alive before: a death would be confirmed after 3 failures over 24 h.
    await db.updateTable("groups").set({ status: "alive", ever_alive: 1 }).execute();
    const transitions: string[] = [];
    const d = {
      ...deps(db, clock),
      onTransition: async (_trx: Db, t: { group: { name: string }; transition: string }) => {
        transitions.push(`${t.group.name}:${t.transition}`);
      },
    };
    for (let i = 0; i < 4; i++) {
      const out = await scanGroups(d);
      expect(out.kind).toBe("done");
      clock.advanceHours(12);
    }
    const g = async (id: string) => (await getGroupById(db, id))!;
    expect([(await g(withMeetup!)).status, (await g(withMeetup!)).reason]).toEqual([
      "alive",
      "website_gone_meetup_active",
    ]);
    const [check] = await recentChecks(db, withMeetup!, 1);
    const evidence = JSON.parse(check!.evidence);
    expect(evidence.summary).toBe("website gone; active on meetup.com");
    expect(evidence.website.reason).toBe("http_404");
    // A Meetup page that is gone too is no evidence of life; nor is no channel at all.
    expect((await g(quietMeetup!)).status).toBe("dead");
    expect((await g(noChannel!)).status).toBe("dead");
    expect(transitions.sort()).toEqual(["PyNoChannel:dead", "PyQuiet:dead"]);
  });
});
