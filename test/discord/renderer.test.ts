import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/connect.js";
import { syncGroups } from "../../src/jobs/sync.js";
import { silentLogger } from "../../src/logger.js";
import { type BotProcess, rendererOf, startBot } from "../helpers/bot-process.js";
import { FakeClock } from "../helpers/clock.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { type FakeDiscord, type InteractionResult, startFakeDiscord } from "../helpers/fake-discord.js";

/**
 * The bot draws its maps in a renderer process. Whatever happens to that process (killed, hung),
 * the bot keeps answering, answers without the picture when it must, and draws again afterwards.
 */

const WIKI = join(import.meta.dirname, "../fixtures/wiki/LocalUserGroups.html");
/** Long enough for a cold renderer under tsx on a busy machine, short enough for the hung case. */
const RENDER_TIMEOUT_MS = 10_000;

let fake: FakeDiscord;
let bot: BotProcess;
let database: TestDatabase & { remove: () => Promise<void> };

beforeAll(async () => {
  database = await createTestDatabase("poick-renderer-");
  const db = await openDatabase(database.location);
  const synced = await syncGroups({ db, clock: new FakeClock(), logger: silentLogger }, { source: WIKI });
  expect(synced.kind).toBe("synced");
  await db.destroy();
  fake = await startFakeDiscord();
  bot = startBot(fake, {
    ...database.env,
    cwd: database.dir,
    POICK_LOG_LEVEL: "warn",
    POICK_RENDER_TIMEOUT_MS: String(RENDER_TIMEOUT_MS),
  });
  await fake.waitFor(() => fake.commands(fake.guildId).length === 2, 60_000, "the bot to register");
  await fake.waitForReady(30_000);
}, 120_000);

afterAll(async () => {
  bot?.kill();
  await bot?.exited;
  await fake?.close();
  await database?.remove();
});

const attached = (r: InteractionResult) => r.original?.attachments.map((a) => a.filename) ?? [];
const embedImage = (r: InteractionResult) =>
  (r.original?.embeds[0]?.image as { url?: string } | undefined)?.url;
const GEOJSON = "python-user-groups.geojson";

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, ok: () => boolean, ms = 30_000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${bot.output().slice(-2000)}`);
    await sleep(50);
  }
}

/** `/pug map` of the world, once its final answer (with the GeoJSON, and the picture if drawn) is there. */
const worldMap = () =>
  fake.slash(
    "pug",
    {},
    { subcommand: "map", until: (x) => attached(x).includes(GEOJSON), timeoutMs: 3 * RENDER_TIMEOUT_MS },
  );

/** A renderer runs (a near answer's map starts one when none does); its pid. */
async function runningRenderer(): Promise<number> {
  const now = rendererOf(bot);
  if (now) return now;
  const near = await fake.slash(
    "pug",
    { place: "Katowice" },
    { subcommand: "near", until: (x) => attached(x).length >= 1, timeoutMs: 3 * RENDER_TIMEOUT_MS },
  );
  expect(attached(near)).toEqual(["near.png"]);
  const pid = rendererOf(bot);
  expect(pid, "a renderer process beside the bot").not.toBeNull();
  return pid as number;
}

describe("the bot and its renderer process", () => {
  it("survives the renderer's death and hang, answering without the picture, then draws again", async () => {
    // Killed while idle: the next map is answered (with or without its picture, depending on who notices first).
    const killed = await runningRenderer();
    process.kill(killed, "SIGKILL");
    await until("the killed renderer to be gone", () => !isRunning(killed));
    const afterKill = await worldMap();
    expect(afterKill.text).toContain("Python user groups of the world");
    expect(afterKill.text).not.toMatch(/went wrong/i);

    // Hung (stopped): at the deadline the answer goes out without the picture, and the renderer is killed.
    const hung = await runningRenderer();
    process.kill(hung, "SIGSTOP");
    const withoutPicture = await worldMap();
    expect(attached(withoutPicture)).toEqual([GEOJSON]);
    expect(embedImage(withoutPicture)).toBeUndefined();
    expect(withoutPicture.text).toMatch(/couldn't be drawn just now/);
    expect(withoutPicture.text).toMatch(/alive/);
    await until("the hung renderer to be killed", () => !isRunning(hung));

    // And the next map is drawn again, by a new renderer.
    const again = await worldMap();
    expect(attached(again)).toEqual(["map.png", GEOJSON]);
    expect(embedImage(again)).toBe("attachment://map.png");
    const png = await fetch(again.original?.attachments[0]?.url as string);
    expect(PNG.sync.read(Buffer.from(await png.arrayBuffer())).width).toBe(1200);
    const now = rendererOf(bot);
    expect(now).not.toBeNull();
    expect([killed, hung]).not.toContain(now);
  }, 180_000);

  it("the renderer never outlives the bot", async () => {
    const renderer = await runningRenderer();
    // The bot alone, not its process group: the renderer must notice by itself.
    process.kill(bot.child.pid as number, "SIGKILL");
    await bot.exited;
    await until("the orphaned renderer to exit", () => !isRunning(renderer), 15_000);
  }, 120_000);
});
