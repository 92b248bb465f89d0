import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { nonceForKey } from "../../src/alerts/notifier.js";
import { openDatabase } from "../../src/db/connect.js";
import { disableGuildAlerts, getGuildSettings, setStatusBoard } from "../../src/db/guild-settings.js";
import { claimDue, enqueueAlert, getOutboxRow, pendingCount } from "../../src/db/outbox.js";
import type { OutboxTable } from "../../src/db/schema.js";
import { dispatchAlerts, GIVE_UP_AFTER_MS, retryDelayMs, startDispatcher } from "../../src/jobs/dispatch.js";
import { silentLogger } from "../../src/logger.js";
import { ALL, guildWithAlerts } from "../helpers/alerts.js";
import { FakeClock } from "../helpers/clock.js";
import { tempDb } from "../helpers/db.js";
import { RecordingNotifier } from "../helpers/recording-notifier.js";

const T0 = "2026-11-01T00:00:00.000Z";
const message = (text: string) => ({ embeds: [{ title: text }], allowed_mentions: { parse: [] } });

type Db = Awaited<ReturnType<typeof tempDb>>["db"];

async function queue(
  db: Db,
  key: string,
  guild: string,
  channel: string,
  kind: OutboxTable["kind"] = "dead",
  createdAt = T0,
) {
  await enqueueAlert(db, {
    key,
    guild_id: guild,
    channel_id: channel,
    kind,
    group_id: "g",
    payload: JSON.stringify(message(key)),
    created_at: createdAt,
  });
}

async function setup() {
  const { db, path } = await tempDb();
  await guildWithAlerts(db, "G1", "C1", ALL);
  await guildWithAlerts(db, "G2", "C2", ALL);
  const clock = new FakeClock(T0);
  const notifier = new RecordingNotifier();
  return { db, path, clock, notifier, deps: { db, clock, logger: silentLogger, notifier } };
}

describe("retryDelayMs", () => {
  it("backs off 30 s, 1 min, 2 min … and never more than an hour", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(retryDelayMs)).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000,
    ]);
  });
});

describe("dispatchAlerts", () => {
  it("sends rows committed while no dispatcher ran, each once", async () => {
    const { db, notifier, deps } = await setup();
    await queue(db, "k1", "G1", "C1");
    await queue(db, "k2", "G2", "C2");
    await queue(db, "k3", "G1", "C1");

    expect(await dispatchAlerts(deps)).toEqual({ sent: 3, retried: 0, failed: 0 });
    expect(notifier.posts.map((p) => [p.channelId, p.message.embeds?.[0]?.title])).toEqual([
      ["C1", "k1"],
      ["C2", "k2"],
      ["C1", "k3"],
    ]);
    expect(notifier.posts[0]?.nonce).toBe(nonceForKey("k1"));
    expect(await getOutboxRow(db, "k1")).toMatchObject({
      delivered_at: T0,
      message_id: notifier.posts[0]?.messageId,
    });

    expect(await dispatchAlerts(deps)).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(notifier.calls).toHaveLength(3);
    expect(await pendingCount(db)).toBe(0);
  });

  it("a send that happened before a crash is not posted twice (the nonce returns the same message)", async () => {
    const { db, clock, notifier, deps } = await setup();
    await queue(db, "k1", "G1", "C1");
    // A dispatcher claimed the row, sent it, and died before marking it delivered.
    const [claimed] = await claimDue(db, T0, 10, 60_000);
    const first = await notifier.send("C1", JSON.parse(claimed!.payload), nonceForKey(claimed!.key));

    clock.advance(30_000);
    expect(await dispatchAlerts(deps, { leaseMs: 60_000 })).toEqual({ sent: 0, retried: 0, failed: 0 }); // still claimed
    clock.advance(31_000);
    expect(await dispatchAlerts(deps, { leaseMs: 60_000 })).toEqual({ sent: 1, retried: 0, failed: 0 });

    expect(notifier.calls).toHaveLength(2);
    expect(notifier.posts).toHaveLength(1);
    expect(first.ok && (await getOutboxRow(db, "k1"))?.message_id).toBe(first.ok && first.messageId);
  });

  it("two dispatchers racing on one database post each alert once", async () => {
    const { db, notifier, deps } = await setup();
    for (let i = 0; i < 40; i++) await queue(db, `k${i}`, i % 2 ? "G1" : "G2", i % 2 ? "C1" : "C2");
    notifier.delayMs = 2;
    const [a, b] = await Promise.all([
      dispatchAlerts(deps, { limit: 3 }),
      dispatchAlerts(deps, { limit: 3 }),
    ]);
    expect((a?.sent ?? 0) + (b?.sent ?? 0)).toBe(40);
    expect(a?.sent).toBeGreaterThan(0);
    expect(b?.sent).toBeGreaterThan(0);
    expect(notifier.calls).toHaveLength(40); // not even a deduplicated repeat
    expect(new Set(notifier.posts.map((p) => p.nonce)).size).toBe(40);
  });

  it("two dispatchers on two connections to the same file post each alert once", async () => {
    const { db, path, clock, notifier } = await setup();
    const other = await openDatabase(path);
    try {
      for (let i = 0; i < 40; i++) await queue(db, `k${i}`, "G1", "C1");
      notifier.delayMs = 2;
      const run = (d: Db) => dispatchAlerts({ db: d, clock, logger: silentLogger, notifier }, { limit: 4 });
      const [a, b] = await Promise.all([run(db), run(other)]);
      expect((a?.sent ?? 0) + (b?.sent ?? 0)).toBe(40);
      expect(a?.sent).toBeGreaterThan(0);
      expect(b?.sent).toBeGreaterThan(0);
      expect(notifier.calls).toHaveLength(40);
      expect(notifier.posts).toHaveLength(40);
    } finally {
      await other.destroy();
    }
  });

  it("dispatchers in separate processes post each alert once", async () => {
    const { db, path } = await tempDb();
    await guildWithAlerts(db, "G1", "C1", ALL);
    for (let i = 0; i < 120; i++) await queue(db, `k${i}`, "G1", "C1", "dead", "2020-01-01T00:00:00.000Z");
    const worker = join(import.meta.dirname, "dispatch-worker.ts");
    const startAt = String(Date.now() + 2500);
    const exec = promisify(execFile);
    const outs = await Promise.all(
      ["w1", "w2", "w3"].map((name) =>
        exec(process.execPath, ["--import", "tsx", worker, path, name, startAt], { timeout: 25_000 }),
      ),
    );
    const reports = outs.map((o) => JSON.parse(o.stdout.trim().split("\n").at(-1) ?? "{}")) as {
      result: { sent: number };
      calls: { nonce: string }[];
    }[];
    const nonces = reports.flatMap((r) => r.calls.map((c) => c.nonce));
    expect(nonces).toHaveLength(120);
    expect(new Set(nonces).size).toBe(120);
    expect(reports.filter((r) => r.result.sent > 0).length).toBeGreaterThanOrEqual(2);
    expect(await pendingCount(db)).toBe(0);
  });

  it("a deleted channel fails for good, is shown on its guild, and other guilds still get theirs", async () => {
    const { db, notifier, deps } = await setup();
    notifier.failPermanently("C1", "unknown_channel");
    await queue(db, "k1", "G1", "C1");
    await queue(db, "k2", "G2", "C2");
    await queue(db, "k3", "G1", "C1");
    await queue(db, "k4", "G2", "C2");

    expect(await dispatchAlerts(deps)).toEqual({ sent: 2, retried: 0, failed: 2 });
    expect(notifier.postsTo("C2")).toHaveLength(2);
    expect(notifier.calls.filter((c) => c.channelId === "C1")).toHaveLength(1); // no hammering a dead channel
    expect(await getOutboxRow(db, "k3")).toMatchObject({ delivered_at: null, failed_at: T0 });
    const g1 = await getGuildSettings(db, "G1");
    expect(g1?.last_error).toContain("no longer exists");
    expect(g1?.last_error_at).toBe(T0);
    expect((await getGuildSettings(db, "G2"))?.last_error).toBeNull();
    expect(await dispatchAlerts(deps)).toEqual({ sent: 0, retried: 0, failed: 0 });
  });

  it("a missing permission is explained to the guild; a later success clears it", async () => {
    const { db, clock, notifier, deps } = await setup();
    notifier.failPermanently("C1", "missing_permissions");
    await queue(db, "k1", "G1", "C1");
    await dispatchAlerts(deps);
    expect((await getGuildSettings(db, "G1"))?.last_error).toContain("Send Messages and Embed Links");
    notifier.heal("C1");
    clock.advance(1000);
    await queue(db, "k2", "G1", "C1", "dead", clock.now().toISOString());
    expect(await dispatchAlerts(deps)).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect((await getGuildSettings(db, "G1"))?.last_error).toBeNull();
  });

  it("retries a passing failure with backoff by the clock", async () => {
    const { db, clock, notifier, deps } = await setup();
    notifier.failTransiently("C1", 2);
    await queue(db, "k1", "G1", "C1");
    await queue(db, "k2", "G2", "C2");

    expect(await dispatchAlerts(deps)).toEqual({ sent: 1, retried: 1, failed: 0 });
    expect(await getOutboxRow(db, "k1")).toMatchObject({
      attempts: 1,
      next_attempt_at: "2026-11-01T00:00:30.000Z",
      claimed_until: null,
    });
    clock.advance(29_000);
    expect(await dispatchAlerts(deps)).toEqual({ sent: 0, retried: 0, failed: 0 });
    clock.advance(1_000);
    expect(await dispatchAlerts(deps)).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(await getOutboxRow(db, "k1")).toMatchObject({
      attempts: 2,
      next_attempt_at: "2026-11-01T00:01:30.000Z",
    });
    clock.advance(60_000);
    expect(await dispatchAlerts(deps)).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(notifier.postsTo("C1")).toHaveLength(1);
    expect((await getGuildSettings(db, "G1"))?.last_error).toBeNull();
  });

  it("waits at least as long as a rate limit asks", async () => {
    const { db, notifier, deps } = await setup();
    notifier.failTransiently("C1", 1, { code: "rate_limited", message: "429", retryAfterMs: 300_000 });
    await queue(db, "k1", "G1", "C1");
    await dispatchAlerts(deps);
    expect((await getOutboxRow(db, "k1"))?.next_attempt_at).toBe("2026-11-01T00:05:00.000Z");
  });

  it("gives up after about a day of passing failures", async () => {
    const { db, clock, notifier, deps } = await setup();
    notifier.failTransiently("C1", Number.POSITIVE_INFINITY);
    await queue(db, "k1", "G1", "C1");
    let tries = 0;
    for (; tries < 100; tries++) {
      const r = await dispatchAlerts(deps);
      if (r.failed) break;
      const next = (await getOutboxRow(db, "k1"))?.next_attempt_at as string;
      clock.set(next);
    }
    const row = await getOutboxRow(db, "k1");
    expect(row?.failed_at).not.toBeNull();
    expect(Date.parse(row?.failed_at as string) - Date.parse(T0)).toBeGreaterThanOrEqual(GIVE_UP_AFTER_MS);
    expect(Date.parse(row?.failed_at as string) - Date.parse(T0)).toBeLessThan(GIVE_UP_AFTER_MS + 3_600_000);
    expect(tries).toBeGreaterThan(20);
    expect((await getGuildSettings(db, "G1"))?.last_error).toContain("for a day");
  });

  it("drops what was queued for a guild that turned alerts off or moved them", async () => {
    const { db, notifier, deps } = await setup();
    await queue(db, "k1", "G1", "C1");
    await queue(db, "k2", "G2", "C2");
    await disableGuildAlerts(db, "G1", T0);
    await guildWithAlerts(db, "G2", "C2-new", ALL, T0);
    expect(await dispatchAlerts(deps)).toEqual({ sent: 0, retried: 0, failed: 2 });
    expect(notifier.calls).toHaveLength(0);
    expect((await getOutboxRow(db, "k1"))?.last_error).toContain("turned off");
  });

  it("posts the status board once, then edits it", async () => {
    const { db, clock, notifier, deps } = await setup();
    await setStatusBoard(db, "G1", "B1", null, T0);
    await queue(db, "board:1", "G1", "B1", "board");
    expect(await dispatchAlerts(deps)).toEqual({ sent: 1, retried: 0, failed: 0 });
    const posted = notifier.postsTo("B1")[0];
    expect((await getGuildSettings(db, "G1"))?.status_board_message_id).toBe(posted?.messageId);

    clock.advance(60_000);
    await queue(db, "board:2", "G1", "B1", "board", clock.now().toISOString());
    expect(await dispatchAlerts(deps)).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(notifier.postsTo("B1")).toHaveLength(1);
    expect(notifier.edits.map((e) => [e.messageId, e.message.embeds?.[0]?.title])).toEqual([
      [posted?.messageId, "board:2"],
    ]);
  });

  it("a row with an unreadable payload fails without blocking the rest", async () => {
    const { db, notifier, deps } = await setup();
    await enqueueAlert(db, {
      key: "bad",
      guild_id: "G1",
      channel_id: "C1",
      kind: "dead",
      group_id: null,
      payload: "{not json",
      created_at: T0,
    });
    await queue(db, "k2", "G1", "C1");
    expect(await dispatchAlerts(deps)).toEqual({ sent: 1, retried: 0, failed: 1 });
    expect(notifier.posts).toHaveLength(1);
  });
});

describe("startDispatcher", () => {
  const until = async (cond: () => boolean | Promise<boolean>, ms = 5000) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error("timed out waiting");
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it("sends on start, on its interval, and when kicked, never overlapping itself", async () => {
    const { db, notifier, deps } = await setup();
    notifier.delayMs = 3;
    await queue(db, "k0", "G1", "C1");
    const d = startDispatcher(deps, { intervalMs: 50 });
    try {
      await until(() => notifier.posts.length === 1);
      // Queued by "another process": picked up by the interval.
      for (let i = 1; i <= 5; i++) await queue(db, `k${i}`, "G1", "C1");
      await until(() => notifier.posts.length === 6);
      for (let i = 6; i <= 15; i++) await queue(db, `k${i}`, "G2", "C2");
      for (let i = 0; i < 20; i++) d.kick();
      await until(() => notifier.posts.length === 16);
      expect(notifier.maxInFlight).toBe(1);
      expect(notifier.calls).toHaveLength(16);
    } finally {
      await d.stop();
    }
    await queue(db, "after-stop", "G1", "C1");
    await new Promise((r) => setTimeout(r, 150));
    expect(notifier.posts).toHaveLength(16);
  });

  it("a kick gets there before the interval", async () => {
    const { db, notifier, deps } = await setup();
    const d = startDispatcher(deps, { intervalMs: 60_000 });
    try {
      await new Promise((r) => setTimeout(r, 20));
      await queue(db, "k1", "G1", "C1");
      d.kick();
      await until(() => notifier.posts.length === 1, 2000);
    } finally {
      await d.stop();
    }
  });

  it("logs a failed run and carries on", async () => {
    const { db, notifier, deps } = await setup();
    const lines: string[] = [];
    const logger = pino({ level: "error" }, { write: (s: string) => lines.push(s) });
    await db.schema.alterTable("outbox").renameTo("outbox_away").execute();
    const d = startDispatcher({ ...deps, logger }, { intervalMs: 20 });
    try {
      await until(() => lines.length > 0);
      expect(lines[0]).toContain("alert dispatch failed");
      await db.schema.alterTable("outbox_away").renameTo("outbox").execute();
      await queue(db, "k1", "G1", "C1");
      await until(() => notifier.posts.length === 1);
    } finally {
      await d.stop();
    }
  });
});
