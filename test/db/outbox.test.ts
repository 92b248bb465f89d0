import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/connect.js";
import { nearestAliveGroup } from "../../src/db/groups.js";
import {
  clearGuildError,
  disableGuildAlerts,
  getGuildSettings,
  guildsForAlerts,
  guildsForDigest,
  guildsWithStatusBoard,
  recordGuildError,
  setDigest,
  setStatusBoard,
  upsertGuildAlerts,
} from "../../src/db/guild-settings.js";
import {
  claimDue,
  enqueueAlert,
  getOutboxRow,
  markDelivered,
  markFailed,
  markRetry,
  type NewOutboxRow,
  pendingCount,
} from "../../src/db/outbox.js";
import { ALL, insertGroups, scopeNear } from "../helpers/alerts.js";
import { tempDb } from "../helpers/db.js";

const T0 = "2026-11-01T00:00:00.000Z";
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

const row = (key: string, p: Partial<NewOutboxRow> = {}): NewOutboxRow => ({
  key,
  guild_id: "G1",
  channel_id: "C1",
  kind: "dead",
  group_id: "g0",
  payload: JSON.stringify({ content: key }),
  created_at: T0,
  ...p,
});

describe("guild settings", () => {
  it("setting up alerts starts them now, and changing them starts over", async () => {
    const { db } = await tempDb();
    const s = await upsertGuildAlerts(db, "G1", {
      channelId: "C1",
      scope: scopeNear("Katowice", 50.26, 19.02, 100),
      now: T0,
    });
    expect(s).toMatchObject({
      alert_channel_id: "C1",
      scope_kind: "near",
      scope_value: "Katowice",
      scope_radius_km: 100,
      alerts_since: T0,
      digest_enabled: 0,
      updated_at: T0,
    });
    await setDigest(db, "G1", true, at(1000));
    await recordGuildError(db, "G1", "channel gone", at(2000));
    expect((await getGuildSettings(db, "G1"))?.last_error).toBe("channel gone");

    const moved = await upsertGuildAlerts(db, "G1", { channelId: "C2", scope: ALL, now: at(60_000) });
    expect(moved).toMatchObject({
      alert_channel_id: "C2",
      scope_kind: "all",
      scope_value: null,
      scope_lat: null,
      alerts_since: at(60_000),
      digest_enabled: 1, // kept when not given
      last_error: null,
    });
    const noDigest = await upsertGuildAlerts(db, "G1", {
      channelId: "C2",
      scope: ALL,
      digest: false,
      now: at(70_000),
    });
    expect(noDigest.digest_enabled).toBe(0);
  });

  it("lists only guilds with alerts on; turning off keeps the row", async () => {
    const { db } = await tempDb();
    await upsertGuildAlerts(db, "G1", { channelId: "C1", scope: ALL, digest: true, now: T0 });
    await upsertGuildAlerts(db, "G2", { channelId: "C2", scope: ALL, now: T0 });
    await setStatusBoard(db, "G3", "C3", null, T0);
    expect((await guildsForAlerts(db)).map((g) => g.guild_id)).toEqual(["G1", "G2"]);
    expect((await guildsForDigest(db)).map((g) => g.guild_id)).toEqual(["G1"]);
    expect((await guildsWithStatusBoard(db)).map((g) => g.guild_id)).toEqual(["G3"]);

    await disableGuildAlerts(db, "G1", at(1000));
    expect((await guildsForAlerts(db)).map((g) => g.guild_id)).toEqual(["G2"]);
    expect(await guildsForDigest(db)).toEqual([]);
    expect(await getGuildSettings(db, "G1")).toMatchObject({ alert_channel_id: null, alerts_since: null });
  });

  it("status board and errors", async () => {
    const { db } = await tempDb();
    await setStatusBoard(db, "G1", "C9", null, T0);
    const s = await setStatusBoard(db, "G1", "C9", "M1", T0);
    expect(s).toMatchObject({
      status_board_channel_id: "C9",
      status_board_message_id: "M1",
      alert_channel_id: null,
    });
    const off = await setStatusBoard(db, "G1", null, "M1", T0);
    expect(off).toMatchObject({ status_board_channel_id: null, status_board_message_id: null });

    await recordGuildError(db, "G1", "nope", at(5));
    expect(await getGuildSettings(db, "G1")).toMatchObject({ last_error: "nope", last_error_at: at(5) });
    await clearGuildError(db, "G1");
    expect(await getGuildSettings(db, "G1")).toMatchObject({ last_error: null, last_error_at: null });
  });
});

describe("outbox", () => {
  it("enqueue is idempotent by key", async () => {
    const { db } = await tempDb();
    expect(await enqueueAlert(db, row("k1"))).toBe(true);
    expect(await enqueueAlert(db, row("k1", { payload: '{"content":"other"}' }))).toBe(false);
    const rows = await db.selectFrom("outbox").selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      key: "k1",
      payload: '{"content":"k1"}',
      attempts: 0,
      next_attempt_at: T0,
    });
    expect(await pendingCount(db)).toBe(1);
  });

  it("claims due rows once, in order, until the lease runs out", async () => {
    const { db } = await tempDb();
    for (const k of ["a", "b", "c"]) await enqueueAlert(db, row(k));
    await enqueueAlert(db, row("later", { created_at: at(3_600_000) }));

    const first = await claimDue(db, at(1000), 2, 60_000);
    expect(first.map((r) => r.key)).toEqual(["a", "b"]);
    expect(first[0]?.claimed_until).toBe(at(61_000));
    const second = await claimDue(db, at(1000), 10, 60_000);
    expect(second.map((r) => r.key)).toEqual(["c"]);
    expect(await claimDue(db, at(2000), 10, 60_000)).toEqual([]);

    // The claimer of a and b died; after the lease they are free again. "later" is not due yet.
    const again = await claimDue(db, at(62_000), 10, 60_000);
    expect(again.map((r) => r.key)).toEqual(["a", "b", "c"]);
    expect((await claimDue(db, at(3_600_000 + 200_000), 10, 60_000)).map((r) => r.key)).toEqual([
      "a",
      "b",
      "c",
      "later",
    ]);
  });

  it("delivered and failed rows are never claimed again; a retry waits for its time", async () => {
    const { db } = await tempDb();
    for (const k of ["a", "b", "c"]) await enqueueAlert(db, row(k));
    const [a, b, c] = await claimDue(db, T0, 10, 60_000);
    await markDelivered(db, a!.id, "M1", at(1));
    await markFailed(db, b!.id, "gone", at(1));
    await markRetry(db, c!.id, 1, at(30_000), "503");
    expect(await getOutboxRow(db, "a")).toMatchObject({
      delivered_at: at(1),
      message_id: "M1",
      claimed_until: null,
    });
    expect(await getOutboxRow(db, "b")).toMatchObject({
      failed_at: at(1),
      last_error: "gone",
      claimed_until: null,
    });
    expect(await getOutboxRow(db, "c")).toMatchObject({
      attempts: 1,
      next_attempt_at: at(30_000),
      last_error: "503",
    });
    expect(await pendingCount(db)).toBe(1);

    expect(await claimDue(db, at(29_999), 10, 60_000)).toEqual([]);
    expect((await claimDue(db, at(30_000), 10, 60_000)).map((r) => r.key)).toEqual(["c"]);
  });

  it("a late retry or failure does not undo a delivery made by another dispatcher", async () => {
    const { db } = await tempDb();
    await enqueueAlert(db, row("a"));
    const [a] = await claimDue(db, T0, 10, 60_000);
    await markDelivered(db, a!.id, "M1", at(1));
    await markRetry(db, a!.id, 1, at(30_000), "timeout");
    await markFailed(db, a!.id, "late", at(2));
    expect(await getOutboxRow(db, "a")).toMatchObject({
      delivered_at: at(1),
      failed_at: null,
      message_id: "M1",
    });
  });

  it("two connections claiming at once never get the same row", async () => {
    const { db, path } = await tempDb();
    const other = await openDatabase(path);
    try {
      for (let i = 0; i < 60; i++) await enqueueAlert(db, row(`k${i}`));
      const claims = await Promise.all(
        Array.from({ length: 12 }, (_, i) => claimDue(i % 2 ? other : db, at(1000), 7, 60_000)),
      );
      const ids = claims.flat().map((r) => r.id);
      expect(ids).toHaveLength(60);
      expect(new Set(ids).size).toBe(60);
    } finally {
      await other.destroy();
    }
  });
});

describe("nearestAliveGroup", () => {
  it("finds the closest live group with a place, never the group itself", async () => {
    const { db } = await tempDb();
    await insertGroups(db, [
      { id: "katowice", name: "PySilesia", lat: 50.26, lon: 19.02, status: "dead" },
      { id: "gliwice", name: "PyGliwice", lat: 50.29, lon: 18.67, status: "dead" },
      { id: "krakow", name: "PyKrakow", lat: 50.06, lon: 19.94, status: "alive" },
      { id: "removed", name: "Gone", lat: 50.27, lon: 19.03, status: "alive", removed_at: T0 },
      { id: "dormant", name: "Sleepy", lat: 50.27, lon: 19.04, status: "dormant" },
      { id: "nowhere", name: "Nowhere", lat: null, lon: null, status: "alive" },
      { id: "warsaw", name: "PyWaw", lat: 52.23, lon: 21.01, status: "alive" },
    ]);
    const n = await nearestAliveGroup(db, { lat: 50.26, lon: 19.02, excludeId: "katowice" });
    expect(n?.id).toBe("krakow");
    expect(n?.distanceKm).toBeGreaterThan(60);
    expect(n?.distanceKm).toBeLessThan(75);
    expect((await nearestAliveGroup(db, { lat: 50.06, lon: 19.94, excludeId: "krakow" }))?.id).toBe("warsaw");
    expect(await nearestAliveGroup(db, { lat: null, lon: null })).toBeNull();
  });
});
