import { describe, expect, it } from "vitest";
import { applySync } from "../../src/db/groups.js";
import { setStatusBoard, upsertGuildAlerts } from "../../src/db/guild-settings.js";
import { insertEvent } from "../../src/db/scans.js";
import { isoWeek, queueDigests, queueStatusBoards, wireAlerts } from "../../src/jobs/alert-hooks.js";
import { FakeClock } from "../helpers/clock.js";
import { tempDb } from "../helpers/db.js";
import { seedGroups } from "../helpers/seed.js";

const ALL = { kind: "all" as const, value: null, lat: null, lon: null, radiusKm: null };

describe("weekly digest and status board", () => {
  it("queues one digest per guild per week, only where it is turned on", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock("2026-11-23T09:00:00Z");
    const [id] = await seedGroups(db, [{ name: "PySilesia", url: "https://example.org/a" }]);
    await insertEvent(db, { groupId: id!, kind: "dead", at: "2026-11-20T00:00:00Z", detail: {} });
    await upsertGuildAlerts(db, "100000000000000001", {
      channelId: "200000000000000001",
      scope: ALL,
      digest: true,
      now: "2026-11-01T00:00:00Z",
    });
    await upsertGuildAlerts(db, "100000000000000002", {
      channelId: "200000000000000002",
      scope: ALL,
      now: "2026-11-01T00:00:00Z",
    });
    expect(await queueDigests(db, clock)).toBe(1);
    expect(await queueDigests(db, clock)).toBe(0); // same week: the key makes a second run harmless
    const rows = await db.selectFrom("outbox").selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.key).toBe(`digest:100000000000000001:${isoWeek(clock.now())}`);
    expect(rows[0]?.payload).toContain("PySilesia");
    clock.advanceHours(24 * 7);
    expect(await queueDigests(db, clock)).toBe(1);
  });

  it("queues a status board update per scan for guilds that have a board", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock();
    await seedGroups(db, [{ name: "A", url: "https://example.org/a" }]);
    await setStatusBoard(db, "100000000000000001", "200000000000000009", null, clock.now().toISOString());
    expect(await queueStatusBoards(db, clock, "scan-1")).toBe(1);
    expect(await queueStatusBoards(db, clock, "scan-1")).toBe(0);
    expect(await queueStatusBoards(db, clock, "scan-2")).toBe(1);
    const rows = await db.selectFrom("outbox").select(["kind", "channel_id"]).execute();
    expect(rows.every((r) => r.kind === "board" && r.channel_id === "200000000000000009")).toBe(true);
  });

  it("a later sync records new groups as events and queues 'new group' alerts; the first sync does not", async () => {
    const { db } = await tempDb();
    const clock = new FakeClock("2026-11-01T00:00:00Z");
    const hooks = wireAlerts(clock);
    await upsertGuildAlerts(db, "100000000000000001", {
      channelId: "200000000000000001",
      scope: ALL,
      now: "2026-10-01T00:00:00Z",
    });
    const group = (name: string) => ({
      id: name.toLowerCase(),
      name,
      url: `https://example.org/${name}`,
      normalized_url: `//example.org/${name.toLowerCase()}`,
      description: null,
      continent: "Europe",
      country_code: "PL",
      country_name: "Poland",
      region: null,
      city: "Katowice",
      lat: 50.26,
      lon: 19.02,
      geo_confidence: 1,
      geo_level: "city" as const,
    });
    const write = (names: string[], now: string) =>
      applySync(
        db,
        { sourceId: "wiki", sourceUrl: "x", etag: null, lastModified: null, now, upserts: names.map(group) },
        hooks.afterSync,
      );
    await write(["One", "Two"], "2026-11-01T00:00:00Z");
    expect(await db.selectFrom("outbox").selectAll().execute()).toHaveLength(0);
    clock.set("2026-11-02T00:00:00Z");
    await write(["One", "Two", "Three"], "2026-11-02T00:00:00Z");
    const out = await db.selectFrom("outbox").selectAll().execute();
    expect(out.map((r) => r.kind)).toEqual(["new"]);
    expect(out[0]?.payload).toContain("Three");
    const events = await db.selectFrom("events").selectAll().execute();
    expect(events.map((e) => [e.kind, e.group_id])).toEqual([["new", "three"]]);
  });
});
