import { spawn } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/connect.js";
import { upsertGuildAlerts } from "../../src/db/guild-settings.js";
import { type BotProcess, startBot, TSX_LOADER } from "../helpers/bot-process.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { type FakeDiscord, startFakeDiscord } from "../helpers/fake-discord.js";
import { type GroupWorld, startGroupWorld } from "../helpers/group-world.js";
import { seedGroups } from "../helpers/seed.js";

/**
 * One core behind every door: `poick scan` run from the command line (a separate process, as from a
 * system cron) queues the same alerts as the bot's own scan, and the running bot posts them once in
 * every guild whose scope covers the group — also when the bot is SIGKILLed while they are pending.
 */

const CLI = join(import.meta.dirname, "../../src/cli.ts");
let world: GroupWorld;
let port = 0;
let fake: FakeDiscord;
let dir: string;
let database: TestDatabase & { remove: () => Promise<void> };

const name = (i: number) => `Group ${String(i).padStart(2, "0")}`;

beforeAll(async () => {
  world = await startGroupWorld(name);
  port = world.port;
  database = await createTestDatabase("poick-cli-alerts-");
  dir = database.dir;
  fake = await startFakeDiscord({
    guilds: [
      { name: "Everything", channels: ["general", "alerts"] },
      { name: "Germany only", channels: ["general", "alerts"] },
    ],
  });
  const db = await openDatabase(database.location);
  // Groups 0-5 in Poland, 6-9 in Germany.
  await seedGroups(
    db,
    Array.from({ length: 10 }, (_, i) => ({
      name: name(i),
      url: `http://127.0.0.1:${port}/g/${i}`,
      ...(i >= 6 ? { country: "Germany", countryCode: "DE", city: "Berlin", lat: 52.52, lon: 13.4 } : {}),
    })),
  );
  const [everything, germany] = fake.guilds;
  await upsertGuildAlerts(db, everything!.id, {
    channelId: fake.channelId("alerts", everything!.id),
    scope: { kind: "all", value: null, lat: null, lon: null, radiusKm: null },
    now: "2026-01-01T00:00:00.000Z",
  });
  await upsertGuildAlerts(db, germany!.id, {
    channelId: fake.channelId("alerts", germany!.id),
    scope: { kind: "country", value: "DE", lat: null, lon: null, radiusKm: null },
    now: "2026-01-01T00:00:00.000Z",
  });
  await db.destroy();
}, 60_000);

afterAll(async () => {
  await fake?.close();
  await world?.close();
  await database?.remove();
});

const env = () => ({
  ...database.env,
  POICK_CANARY_URLS: "",
  POICK_ALLOW_NETS: "127.0.0.0/8",
  POICK_DEAD_AFTER_CHECKS: "1",
  POICK_DEAD_AFTER_HOURS: "0",
  POICK_HOST_RATE: "1000",
  POICK_RETRIES: "0",
  POICK_TIMEOUT_MS: "3000",
});

const botEnv = () => ({
  ...env(),
  cwd: dir,
  POICK_CANARY_URLS: `http://127.0.0.1:${port}/canary`,
  POICK_REGISTER_ON_START: "0",
  // The bot never scans by itself here: every scan comes from the command line.
  POICK_SCAN_CRON: "0 0 1 1 *",
  POICK_SYNC_CRON: "0 0 1 1 *",
  POICK_DISPATCH_INTERVAL_MS: "500",
  POICK_DISPATCH_LEASE_MS: "2000",
  POICK_LOG_LEVEL: "warn",
});

/** `poick scan` exactly as an operator runs it: its own process, its own database connection. */
async function poickScan(): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ["--import", TSX_LOADER, CLI, "scan", "--json"], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ...env(),
      POICK_CANARY_URLS: `http://127.0.0.1:${port}/canary`,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += String(d);
  });
  child.stderr.on("data", (d) => {
    out += String(d);
  });
  const code = await new Promise<number | null>((r) => child.once("exit", r));
  return { code, out };
}

function posted(guildIndex: number): string[] {
  const g = fake.guilds[guildIndex]!;
  return fake.channelMessages(fake.channelId("alerts", g.id)).map((m) => {
    const title = String((m.embeds as { title?: string }[] | undefined)?.[0]?.title ?? m.content ?? "");
    const group = /Group \d\d/.exec(title)?.[0] ?? `? ${title}`;
    const kind = /looks dead/i.test(title) ? "dead" : /alive again/i.test(title) ? "revived" : `? ${title}`;
    return `${kind} ${group}`;
  });
}

async function waitFor(what: string, ok: () => boolean, bot: BotProcess, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${bot.output().slice(-2000)}`);
    await sleep(200);
  }
}

describe("poick scan from the command line while the bot runs", () => {
  it("alerts every covered guild once, across SIGKILLs of the bot", async () => {
    let bot = startBot(fake, botEnv());
    try {
      await fake.waitFor(() => fake.openGatewayConnections() > 0, 30_000, "the bot to connect");
      // First scan from the CLI: everyone is seen alive (a first sighting is not news).
      const first = await poickScan();
      expect(first.code, first.out).toBe(0);

      // Groups 1, 2 (Poland) and 7 (Germany) die; the CLI finds out.
      for (const i of [1, 2, 7]) world.down.add(i);
      bot.kill("SIGKILL"); // the bot is down while the CLI queues
      await bot.exited;
      const second = await poickScan();
      expect(second.code, second.out).toBe(0);
      expect(JSON.parse(second.out.slice(second.out.indexOf("{"))).transitions, second.out).toHaveLength(3);

      // Killed twice more with the alerts pending or half-sent, then left to run.
      for (let k = 0; k < 2; k++) {
        bot = startBot(fake, botEnv());
        await fake.waitFor(() => fake.openGatewayConnections() > 0, 30_000, "the bot to connect");
        await sleep(200 + k * 400);
        bot.kill("SIGKILL");
        await bot.exited;
        await fake.waitFor(() => fake.openGatewayConnections() === 0, 10_000, "the connection to drop");
      }
      bot = startBot(fake, botEnv());
      const deadAll = ["dead Group 01", "dead Group 02", "dead Group 07"];
      await waitFor("the death alerts", () => posted(0).length >= 3 && posted(1).length >= 1, bot);

      // Group 2 comes back; the next CLI scan finds it, the running bot posts it within a minute.
      world.down.delete(2);
      expect((await poickScan()).code).toBe(0);
      await waitFor("the revival alert", () => posted(0).length >= 4, bot);
      await sleep(1500); // anything duplicated would arrive by now (dispatch interval 500 ms)

      expect(posted(0).sort()).toEqual([...deadAll, "revived Group 02"].sort());
      expect(posted(1)).toEqual(["dead Group 07"]);
    } finally {
      bot.kill("SIGKILL");
      await bot.exited;
    }
  }, 240_000);
});
