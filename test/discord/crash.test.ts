import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../../src/db/connect.js";
import { upsertGuildAlerts } from "../../src/db/guild-settings.js";
import { startBot } from "../helpers/bot-process.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { type FakeDiscord, startFakeDiscord } from "../helpers/fake-discord.js";
import { seedGroups } from "../helpers/seed.js";

/**
 * Exactly-once alerts under SIGKILL: the real bot process scans a loopback world every second and
 * is killed at random moments (mid-scan, mid-dispatch), then restarted, at least 20 times. Afterwards
 * every status change in the database has exactly one alert in the channel, and nothing else is there.
 */

const GROUPS = 24;
const KILLS = 20;
let world: Server;
let port = 0;
const down = new Set<number>();
let fake: FakeDiscord;
let database: TestDatabase & { remove: () => Promise<void> };

// Deterministic randomness, so a failure can be replayed.
let seed = 20261123;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

beforeAll(async () => {
  world = createServer((req, res) => {
    const n = Number(/\/g\/(\d+)/.exec(req.url ?? "")?.[1] ?? -1);
    // Each page takes a moment, so a scan spans a couple of seconds and kills land inside it.
    setTimeout(
      () => {
        if (req.url === "/canary") return void res.writeHead(200).end("ok");
        if (down.has(n))
          return void res.writeHead(404, { "content-type": "text/html" }).end("<h1>Not Found</h1>");
        res
          .writeHead(200, { "content-type": "text/html" })
          .end(
            `<html><head><title>Python group ${n}</title></head><body><h1>Python User Group ${n}</h1></body></html>`,
          );
      },
      60 + Math.floor(rand() * 120),
    );
  });
  world.keepAliveTimeout = 100;
  await new Promise<void>((r) => world.listen(0, "127.0.0.1", r));
  port = (world.address() as AddressInfo).port;

  database = await createTestDatabase("poick-crash-");
  fake = await startFakeDiscord();
  const db = await openDatabase(database.location);
  await seedGroups(
    db,
    Array.from({ length: GROUPS }, (_, i) => ({
      name: `Group ${String(i).padStart(2, "0")}`,
      url: `http://127.0.0.1:${port}/g/${i}`,
    })),
  );
  // All seen alive before: any death is news.
  await db
    .updateTable("groups")
    .set({ status: "alive", reason: "ok", ever_alive: 1, status_since: "2026-01-01T00:00:00.000Z" })
    .execute();
  await db
    .insertInto("checks")
    .values({
      group_id: (await db.selectFrom("groups").select("id").executeTakeFirstOrThrow()).id,
      scan_id: null,
      checked_at: "2026-01-01T00:00:00.000Z",
      status: "alive",
      reason: "ok",
      http_status: 200,
      final_url: null,
      redirects: "[]",
      timings: "{}",
      evidence: "{}",
    })
    .execute();
  await upsertGuildAlerts(db, fake.guildId, {
    channelId: fake.channelId("alerts"),
    scope: { kind: "all", value: null, lat: null, lon: null, radiusKm: null },
    now: "2026-01-01T00:00:00.000Z",
  });
  await db.destroy();
}, 60_000);

afterAll(async () => {
  await fake?.close();
  await new Promise<void>((r) => world?.close(() => r()));
  world?.closeAllConnections();
  await database?.remove();
});

const botEnv = () => ({
  ...database.env,
  cwd: database.dir,
  POICK_REGISTER_ON_START: "0",
  POICK_SCAN_CRON: "* * * * * *",
  POICK_SYNC_CRON: "0 0 1 1 *",
  POICK_CANARY_URLS: `http://127.0.0.1:${port}/canary`,
  POICK_ALLOW_NETS: "127.0.0.0/8",
  POICK_DEAD_AFTER_CHECKS: "1",
  POICK_DEAD_AFTER_HOURS: "0",
  POICK_CONCURRENCY: "3",
  POICK_HOST_CONCURRENCY: "3",
  POICK_HOST_RATE: "1000",
  POICK_RETRIES: "0",
  POICK_TIMEOUT_MS: "3000",
  POICK_DISPATCH_INTERVAL_MS: "300",
  POICK_DISPATCH_LEASE_MS: "2000",
  POICK_LOG_LEVEL: "warn",
});

async function readState(): Promise<{
  events: { group: string; kind: string }[];
  pending: number;
  statuses: Map<string, string>;
}> {
  const db: Db = await openDatabase(database.location);
  try {
    const events = await db
      .selectFrom("events")
      .innerJoin("groups", "groups.id", "events.group_id")
      .select(["groups.name as group", "events.kind"])
      .where("events.kind", "in", ["dead", "revived"])
      .execute();
    const pending = await db
      .selectFrom("outbox")
      .select("id")
      .where("delivered_at", "is", null)
      .where("failed_at", "is", null)
      .execute();
    const statuses = new Map(
      (await db.selectFrom("groups").select(["name", "status"]).execute()).map((g) => [
        g.name,
        g.status as string,
      ]),
    );
    return { events, pending: pending.length, statuses };
  } finally {
    await db.destroy();
  }
}

function posted(): { group: string; kind: string }[] {
  return fake.channelMessages(fake.channelId("alerts")).map((m) => {
    const title = String((m.embeds as { title?: string }[] | undefined)?.[0]?.title ?? m.content ?? "");
    const group = /Group \d\d/.exec(title)?.[0] ?? `? ${title}`;
    const kind = /looks dead/i.test(title) ? "dead" : /alive again/i.test(title) ? "revived" : `? ${title}`;
    return { group, kind };
  });
}

const key = (e: { group: string; kind: string }) => `${e.kind} ${e.group}`;

describe("alerts survive kill -9", () => {
  it(`every status change is alerted exactly once across ${KILLS} SIGKILLs`, async () => {
    // Phase A: groups 0-7 die. Phase B (after half the kills): 0-3 come back, 8-11 die.
    for (let i = 0; i < 8; i++) down.add(i);
    let kills = 0;
    let phase: "A" | "B" = "A";
    while (kills < KILLS || phase === "A") {
      if (phase === "A" && kills >= KILLS / 2) {
        const s = await readState();
        if ([0, 1, 2, 3, 4, 5, 6, 7].every((i) => s.statuses.get(`Group 0${i}`) === "dead")) {
          phase = "B";
          for (let i = 0; i < 4; i++) down.delete(i);
          for (let i = 8; i < 12; i++) down.add(i);
        }
      }
      const bot = startBot(fake, botEnv());
      await fake.waitFor(() => fake.openGatewayConnections() > 0, 30_000, "the bot to connect");
      await sleep(300 + Math.floor(rand() * 2500));
      bot.kill("SIGKILL");
      await bot.exited;
      await fake.waitFor(
        () => fake.openGatewayConnections() === 0,
        10_000,
        "the killed bot's connection to drop",
      );
      kills++;
    }

    // A last clean run lets the world settle: every group judged, every alert delivered.
    const bot = startBot(fake, botEnv());
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const s = await readState();
        const settled =
          [...Array(GROUPS).keys()].every(
            (i) => s.statuses.get(`Group ${String(i).padStart(2, "0")}`) === (down.has(i) ? "dead" : "alive"),
          ) &&
          s.pending === 0 &&
          posted().length === s.events.length;
        if (settled) break;
        if (Date.now() > deadline)
          throw new Error(
            `did not settle: ${JSON.stringify({ pending: s.pending, events: s.events.length, posted: posted().length })}\n${bot.output().slice(-3000)}`,
          );
        await sleep(250);
      }
    } finally {
      bot.kill("SIGKILL");
      await bot.exited;
    }

    const { events } = await readState();
    const got = posted().map(key).sort();
    const expected = events.map(key).sort();
    expect(got).toEqual(expected); // exactly once each, nothing unexpected
    expect(new Set(got).size).toBe(got.length);
    // And the events are the world's real changes: 0-7 died, 0-3 came back, 8-11 died.
    const want = [
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `dead Group 0${i}`),
      ...[0, 1, 2, 3].map((i) => `revived Group 0${i}`),
      ...[8, 9, 10, 11].map((i) => `dead Group ${String(i).padStart(2, "0")}`),
    ].sort();
    expect(expected).toEqual(want);
  }, 300_000);
});
