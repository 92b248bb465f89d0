import { describe, expect, it } from "vitest";
import { getLock } from "../../src/db/locks.js";
import { startLeadership } from "../../src/jobs/leader.js";
import { silentLogger } from "../../src/logger.js";
import { FakeClock } from "../helpers/clock.js";
import { tempDb } from "../helpers/db.js";

const settle = () => new Promise((r) => setTimeout(r, 50));

describe("leadership", () => {
  it("one of two contenders leads; when it stops, the other takes over on its next check", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    const log: string[] = [];
    const contender = (name: string) =>
      startLeadership(
        { db, clock, logger: silentLogger },
        {
          name: "leader-test",
          holder: `test:${name}`,
          ttlMs: 3000,
          onGain: () => void log.push(`${name}+`),
          onLose: () => void log.push(`${name}-`),
        },
      );
    const a = contender("a");
    await settle();
    const b = contender("b");
    await settle();
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(log).toEqual(["a+"]);
    await a.stop();
    expect(await getLock(db, "leader-test")).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1200)); // b's next check (every ttl/3)
    expect(b.isLeader()).toBe(true);
    expect(log).toEqual(["a+", "a-", "b+"]);
    await b.stop();
    expect(log).toEqual(["a+", "a-", "b+", "b-"]);
  });
});
