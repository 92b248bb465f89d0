import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/connect.js";
import { upsertGuildAlerts } from "../../src/db/guild-settings.js";
import { type BotProcess, startBot } from "../helpers/bot-process.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { type FakeDiscord, startFakeDiscord } from "../helpers/fake-discord.js";
import { type GroupWorld, startGroupWorld } from "../helpers/group-world.js";
import { seedGroups } from "../helpers/seed.js";

/**
 * POICK_SHARDS=auto: discord.js's ShardingManager runs one process per shard (two here, as the
 * fake recommends). Every shard answers its guilds; exactly one process runs the schedule and
 * delivers alerts; when it is killed, another takes over and alerts stay exactly-once.
 */

let world: GroupWorld;
let port = 0;
let fake: FakeDiscord;
let dir: string;
let database: TestDatabase & { remove: () => Promise<void> };
let bot: BotProcess;

beforeAll(async () => {
  world = await startGroupWorld((n) => `Group ${n}`);
  port = world.port;
  database = await createTestDatabase("poick-shards-");
  dir = database.dir;
  fake = await startFakeDiscord({
    recommendedShards: 2,
    guilds: [
      { name: "One", channels: ["general", "alerts"] },
      { name: "Two", channels: ["general", "alerts"] },
      { name: "Three", channels: ["general", "alerts"] },
    ],
  });
  const db = await openDatabase(database.location);
  await seedGroups(
    db,
    Array.from({ length: 4 }, (_, i) => ({ name: `Group ${i}`, url: `http://127.0.0.1:${port}/g/${i}` })),
  );
  await upsertGuildAlerts(db, fake.guilds[0]!.id, {
    channelId: fake.channelId("alerts", fake.guilds[0]!.id),
    scope: { kind: "all", value: null, lat: null, lon: null, radiusKm: null },
    now: "2026-01-01T00:00:00.000Z",
  });
  await db.destroy();
  bot = startBot(fake, {
    ...database.env,
    cwd: dir,
    POICK_SHARDS: "auto",
    DISCORD_GUILD_ID: "", // global commands: every guild has them
    POICK_LEADER_TTL_MS: "3000",
    POICK_SCAN_CRON: "*/2 * * * * *",
    POICK_SYNC_CRON: "0 0 1 1 *",
    POICK_CANARY_URLS: `http://127.0.0.1:${port}/canary`,
    POICK_ALLOW_NETS: "127.0.0.0/8",
    POICK_DEAD_AFTER_CHECKS: "1",
    POICK_DEAD_AFTER_HOURS: "0",
    POICK_HOST_RATE: "1000",
    POICK_RETRIES: "0",
    POICK_DISPATCH_INTERVAL_MS: "500",
    POICK_LOG_LEVEL: "info",
  });
}, 60_000);

afterAll(async () => {
  bot?.kill();
  await bot?.exited;
  await fake?.close();
  await world?.close();
  await database?.remove();
});

/** pids of the processes that started a scheduled scan, in order. */
function scanRunners(): number[] {
  return bot
    .output()
    .split("\n")
    .filter((l) => l.includes("scheduled job starting") && l.includes('"scan"'))
    .map((l) => (JSON.parse(l) as { pid: number }).pid);
}

const alertTitles = () =>
  fake
    .channelMessages(fake.channelId("alerts", fake.guilds[0]!.id))
    .map((m) => String((m.embeds as { title?: string }[] | undefined)?.[0]?.title ?? ""));

describe("sharded bot", () => {
  it("every shard answers its guilds, one process runs the schedule, and another takes over when it dies", async () => {
    await fake.waitFor(() => fake.openGatewayConnections() >= 2, 60_000, "two shards to connect");
    await fake.waitFor(() => fake.commands().length === 2, 30_000, "the commands to be registered");
    for (const g of fake.guilds) {
      await fake.waitForReady(30_000);
      const r = await fake.slash("pug", {}, { subcommand: "stats", guildId: g.id, timeoutMs: 10_000 });
      expect(r.text, g.name).toMatch(/\/ 4 = /);
    }

    await fake.waitFor(() => scanRunners().length >= 3, 30_000, "a few scheduled scans");
    const leaders = new Set(scanRunners());
    expect(leaders.size).toBe(1); // exactly one process runs the schedule
    const [leader] = [...leaders] as [number];

    // The leader dies without a word; another process leads within a minute.
    process.kill(leader, "SIGKILL");
    const before = scanRunners().length;
    await fake.waitFor(
      () =>
        scanRunners()
          .slice(before)
          .some((pid) => pid !== leader),
      60_000,
      "another process to take over the schedule",
    );
    const after = new Set(scanRunners().slice(before));
    expect(after.has(leader)).toBe(false);

    // And it delivers alerts, once.
    world.down.add(2);
    await fake.waitFor(() => alertTitles().some((t) => /Group 2/.test(t)), 30_000, "the death alert");
    await new Promise((r) => setTimeout(r, 3000)); // a duplicate would arrive by now
    expect(alertTitles().filter((t) => /Group 2/.test(t))).toHaveLength(1);
  }, 180_000);
});
