import { describe, expect, it } from "vitest";
import { tryAcquireLock } from "../../src/db/locks.js";
import { testApp } from "../helpers/app.js";
import { FakeClock } from "../helpers/clock.js";
import { seedGroups } from "../helpers/seed.js";

describe("the use cases every door calls", () => {
  it("a scan started while another process holds the scan lock is busy, and changes nothing", async () => {
    const clock = new FakeClock();
    const app = await testApp({}, clock);
    await seedGroups(app.db, [{ name: "PyX", url: "http://127.0.0.1:9/x" }]);
    const now = clock.now();
    const held = await tryAcquireLock(
      app.db,
      "scan",
      "elsewhere:1:abc",
      now.toISOString(),
      new Date(now.getTime() + 60_000).toISOString(),
    );
    expect(held).toBe(true);
    expect(await app.jobs.isRunning("scan")).toBe(true);
    expect((await app.jobs.scanAll()).kind).toBe("busy");
    expect(await app.db.selectFrom("checks").select("id").execute()).toEqual([]);
  });

  it("records each run, tells listeners that alerts may be queued, and reports the schedule it is given", async () => {
    const app = await testApp({ POICK_WIKI_URL: "http://127.0.0.1:9/wiki" });
    let kicks = 0;
    app.jobs.onQueued(() => kicks++);
    const outcome = await app.jobs.sync();
    expect(outcome.kind).toBe("failed");
    expect((await app.jobs.lastRun("sync")).result).toBe("failed");
    expect((await app.jobs.scanAll()).kind).toBe("done"); // no groups yet: a quick, empty scan
    expect((await app.jobs.lastRun("scan")).result).toMatch(/^done/);
    expect(await app.jobs.digest()).toBe(0);
    expect(kicks).toBe(3);
    expect(app.jobs.nextRun("scan")).toBeNull();
    const at = new Date("2026-12-03T00:40:00Z");
    app.jobs.setSchedule((job) => (job === "scan" ? at : null));
    expect(app.jobs.nextRun("scan")).toEqual(at);
    expect(await app.jobs.isRunning("scan")).toBe(false);
  });
});
