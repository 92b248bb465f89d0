import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/connect.js";
import { getGroupById } from "../../src/db/groups.js";
import { enqueueAlert } from "../../src/db/outbox.js";
import { startOrResumeScan } from "../../src/db/scans.js";
import {
  type HostPacer,
  type OnTransition,
  type Prober,
  type ScanDeps,
  type ScanProgress,
  scanGroups,
} from "../../src/jobs/scan.js";
import { silentLogger } from "../../src/logger.js";
import { FakeClock } from "../helpers/clock.js";
import { tempDb } from "../helpers/db.js";
import { probeResult } from "../helpers/probe-result.js";
import { seedGroups } from "../helpers/seed.js";

// Scans of more groups than a page holds, with pages of 2 and write batches of 3, and a prober that
// answers from memory: what streaming must keep (every group once, resuming, the outcome's figures,
// the scheduler's order) without a web server.

/** Answers 200 with a group page, or 404 for the hosts in `gone`; records what was asked, in order. */
function memoryProber(gone: Set<string> = new Set()) {
  const asked: string[] = [];
  const prober: Prober = {
    async probe(url) {
      asked.push(url);
      const host = new URL(url).hostname;
      if (gone.has(host))
        return probeResult({ url, status: 404, body: "<html><body>Not found</body></html>" });
      return probeResult({ url });
    },
  };
  return { prober, asked };
}

function deps(db: Db, clock: FakeClock, prober: Prober, over: Partial<ScanDeps> = {}): ScanDeps {
  return {
    db,
    clock,
    logger: silentLogger,
    prober,
    settings: {
      deadAfterChecks: 1,
      deadAfterHours: 0,
      dormantAfterDays: 365,
      canaryUrls: [],
      concurrency: 2,
    },
    sleep: async (ms) => clock.advance(ms),
    sizes: { pageRows: 2, writeRows: 3 },
    ...over,
  };
}

const seeds = (n: number, host = (i: number) => `py${i}.test`) =>
  Array.from({ length: n }, (_, i) => ({ name: `Py${i}`, url: `https://${host(i)}/` }));

async function checksOfScan(db: Db, scanId: number | null): Promise<string[]> {
  const rows = await db
    .selectFrom("checks")
    .select("group_id")
    .where("scan_id", "=", scanId as number)
    .execute();
  return rows.map((r) => r.group_id).sort();
}

describe("a scan that streams", () => {
  it("reads the list page by page and writes in batches: each group once, progress for each, a summary", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const ids = await seedGroups(db, seeds(7));
    const { prober } = memoryProber(new Set(["py3.test"]));
    const progress: ScanProgress[] = [];
    const out = await scanGroups(deps(db, clock, prober), { onProgress: (p) => progress.push(p) });
    expect(out).toMatchObject({
      kind: "done",
      checked: 7,
      skipped: 0,
      total: 7,
      counts: { alive: 6, dormant: 0, dead: 1, unknown: 0 },
      transitions: [],
      transitionCount: 0,
    });
    expect(out.kind === "done" && out.groups).toBeUndefined(); // a full scan keeps no verdicts
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(progress.map((p) => p.group.id).sort()).toEqual([...ids].sort());
    expect(progress[0]?.hostTotals).toMatchObject({ "py0.test": 1, "py6.test": 1 });
    expect(await checksOfScan(db, out.kind === "done" ? out.scanId : null)).toEqual([...ids].sort());
    for (const id of ids) expect((await getGroupById(db, id))?.last_check_id).not.toBeNull();
  });

  it("a one-off check of chosen groups still gives each verdict", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const ids = await seedGroups(db, seeds(3));
    const { prober } = memoryProber();
    const out = await scanGroups(deps(db, clock, prober), { groupIds: [ids[2] as string] });
    expect(out.kind === "done" && out.groups?.map((g) => [g.id, g.status])).toEqual([[ids[2], "alive"]]);
    expect(out.kind === "done" && out.counts).toEqual({ alive: 1, dormant: 0, dead: 0, unknown: 0 });
  });

  it("resumes a killed scan page by page: the groups it checked are skipped, the others checked once", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const ids = await seedGroups(db, seeds(5));
    // A scan that checked the second and fourth groups (in id order), then died.
    const { scanId } = await startOrResumeScan(db, clock.now().toISOString(), "2000-01-01", 5);
    const { prober: first } = memoryProber();
    const done = [ids[1], ids[3]] as string[];
    await scanGroups(deps(db, clock, first), { groupIds: done });
    await db.updateTable("checks").set({ scan_id: scanId }).where("group_id", "in", done).execute();
    const { prober, asked } = memoryProber();
    const out = await scanGroups(deps(db, clock, prober));
    expect(out).toMatchObject({ kind: "done", scanId, resumed: true, skipped: 2, checked: 3, total: 5 });
    expect(asked.sort()).toEqual(["https://py0.test/", "https://py2.test/", "https://py4.test/"]);
    expect(await checksOfScan(db, scanId)).toEqual([...ids].sort());
  });

  it("a dead website's channels are asked on every page, for the groups that have any", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const withChannel = new Set([1, 4, 5]);
    const ids = await seedGroups(
      db,
      seeds(7).map((s, i) => ({
        ...s,
        channels: withChannel.has(i) ? [{ kind: "meetup", url: `https://www.meetup.com/py${i}/` }] : [],
      })),
    );
    const gone = new Set(Array.from({ length: 7 }, (_, i) => `py${i}.test`));
    const { prober, asked } = memoryProber(gone);
    const out = await scanGroups(deps(db, clock, prober));
    expect(out).toMatchObject({ kind: "done", checked: 7 });
    // Each channel's page, and (no date on it) its calendar; none of the others'.
    expect(new Set(asked.filter((u) => u.includes("meetup")).map((u) => u.split("/")[3]))).toEqual(
      new Set([...withChannel].map((i) => `py${i}`)),
    );
    const reasons = await Promise.all(ids.map(async (id) => (await getGroupById(db, id))?.reason));
    expect(reasons).toEqual(
      ids.map((_, i) => (withChannel.has(i) ? "website_gone_meetup_active" : "http_404")),
    );
  });

  it("names the first 200 status changes and counts them all", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    await seedGroups(db, seeds(205));
    await db.updateTable("groups").set({ status: "alive", ever_alive: 1 }).execute();
    const gone = new Set(Array.from({ length: 205 }, (_, i) => `py${i}.test`));
    const d = deps(db, clock, memoryProber(gone).prober, { sizes: { pageRows: 50, writeRows: 40 } });
    const out = await scanGroups(d);
    expect(out.kind === "done" && out.transitions).toHaveLength(200);
    expect(out.kind === "done" && out.transitionCount).toBe(205);
    const events = await db.selectFrom("events").select("group_id").where("kind", "=", "dead").execute();
    expect(events).toHaveLength(205);
  });

  it("a status change commits with its event and its alert rows, or none of them does", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const ids = await seedGroups(db, seeds(3));
    await db.updateTable("groups").set({ status: "alive", ever_alive: 1 }).execute();
    const at = clock.now().toISOString();
    // The alert hook queues a row, then fails for Py1: its whole change must roll back.
    const onTransition: OnTransition = async (trx, t) => {
      await enqueueAlert(trx, {
        key: `dead:${t.group.id}`,
        guild_id: "1",
        channel_id: "2",
        kind: "dead",
        group_id: t.group.id,
        payload: "{}",
        created_at: at,
      });
      if (t.group.name === "Py1") throw new Error("hook failed");
    };
    const gone = new Set(["py0.test", "py1.test", "py2.test"]);
    const out = await scanGroups(deps(db, clock, memoryProber(gone).prober, { onTransition }));
    expect(out.kind === "done" && out.transitions.map((t) => t.name).sort()).toEqual(["Py0", "Py2"]);
    const [py0, py1, py2] = ids as [string, string, string];
    const outbox = await db.selectFrom("outbox").select("group_id").execute();
    const events = await db.selectFrom("events").select("group_id").execute();
    expect(outbox.map((r) => r.group_id).sort()).toEqual([py0, py2]);
    expect(events.map((r) => r.group_id).sort()).toEqual([py0, py2]);
    expect((await getGroupById(db, py1))?.status).toBe("alive");
    expect((await getGroupById(db, py1))?.last_check_id).toBeNull();
    expect((await getGroupById(db, py2))?.status).toBe("dead");
  });

  it("the busiest host goes first, counting its groups not read yet", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    // In id order: one group on solo.test, then three on big.test; the first page holds one of each.
    await seedGroups(db, [
      { name: "Solo", url: "https://solo.test/" },
      ...[1, 2, 3].map((i) => ({ name: `Big${i}`, url: `https://big.test/${i}` })),
    ]);
    const { prober, asked } = memoryProber();
    const d = deps(db, clock, prober);
    await scanGroups({ ...d, settings: { ...d.settings, concurrency: 1 } });
    expect(asked[0]).toBe("https://big.test/1");
  });

  it("when no group of the pages read can start, it reads on: no host blocks the others", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    // Four groups on a host that can't take a request until the others are done, listed first.
    await seedGroups(db, [
      ...[0, 1, 2, 3].map((i) => ({ name: `Slow${i}`, url: `https://slow.test/${i}` })),
      { name: "A", url: "https://a.test/" },
      { name: "B", url: "https://b.test/" },
    ]);
    let listeners: (() => void)[] = [];
    let released = false;
    const pacer: HostPacer = {
      readyIn: (host) => (host === "slow.test" && !released ? null : 0),
      subscribe(l) {
        listeners.push(l);
        return () => {
          listeners = listeners.filter((x) => x !== l);
        };
      },
      stats: () => ({ requests: 0, rateLimited: 0, peakPerSecond: 0, perHost: {} }),
      rates: () => [],
      seed() {},
    };
    const order: string[] = [];
    const out = await scanGroups(deps(db, clock, memoryProber().prober, { pacer }), {
      onProgress: (p) => {
        order.push(p.group.name);
        if (order.includes("A") && order.includes("B") && !released) {
          released = true;
          for (const l of listeners) l();
        }
      },
    });
    expect(out.kind === "done" && out.checked).toBe(6);
    expect(order.slice(0, 2).sort()).toEqual(["A", "B"]);
  });
});
