import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/connect.js";
import { syncGroups } from "../../src/jobs/sync.js";
import { silentLogger } from "../../src/logger.js";
import { type BotProcess, MAIN, startBot, TSX_LOADER } from "../helpers/bot-process.js";
import { FakeClock } from "../helpers/clock.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import {
  type FakeAttachment,
  type FakeDiscord,
  type InteractionResult,
  startFakeDiscord,
} from "../helpers/fake-discord.js";

const ROOT = join(import.meta.dirname, "../..");
const WIKI = join(ROOT, "test/fixtures/wiki/LocalUserGroups.html");

let fake: FakeDiscord;
let bot: BotProcess;
let dir: string;
let database: TestDatabase & { remove: () => Promise<void> };

beforeAll(async () => {
  database = await createTestDatabase("poick-e2e-");
  dir = database.dir;
  const db = await openDatabase(database.location);
  const synced = await syncGroups({ db, clock: new FakeClock(), logger: silentLogger }, { source: WIKI });
  expect(synced.kind).toBe("synced");
  // Give the study's story some statuses: PySilesia asleep, Pykonik alive, most of Germany alive.
  await db
    .updateTable("groups")
    .set({ status: "dormant", reason: "no_recent_activity" })
    .where("name", "=", "PySilesia")
    .execute();
  await db
    .updateTable("groups")
    .set({ status: "alive", reason: "upcoming_event", ever_alive: 1 })
    .where("country_name", "in", ["Poland", "Germany", "Switzerland", "France"])
    .where("name", "!=", "PySilesia")
    .execute();
  await db.destroy();

  fake = await startFakeDiscord();
  bot = startBot(fake, { ...database.env, cwd: dir });
  await fake.waitFor(
    () => fake.commands(fake.guildId).length === 2,
    60_000,
    "the bot to register its commands",
  );
  await fake.waitForReady(30_000);
}, 120_000);

/** What a Discord client would download for an attachment; kept in POICK_SAVE_PICTURES to look at. */
async function download(a: FakeAttachment | undefined, tag = "e2e"): Promise<Buffer> {
  expect(a, "attachment").toBeDefined();
  const res = await fetch((a as FakeAttachment).url);
  expect(res.status).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  expect(bytes.length).toBe((a as FakeAttachment).size);
  const keep = process.env.POICK_SAVE_PICTURES;
  if (keep) {
    mkdirSync(keep, { recursive: true });
    writeFileSync(join(keep, `${tag}-${(a as FakeAttachment).filename}`), bytes);
  }
  return bytes;
}

const attached = (r: InteractionResult) => r.original?.attachments.map((a) => a.filename) ?? [];
const embedImage = (r: InteractionResult) =>
  (r.original?.embeds[0]?.image as { url?: string } | undefined)?.url;

afterAll(async () => {
  bot?.kill();
  await bot?.exited;
  await fake?.close();
  await database?.remove();
});

describe("the bot against a fake Discord", () => {
  it("registers /pug and /pug-admin to the guild, admin-only by default", () => {
    const cmds = fake.commands(fake.guildId);
    expect(cmds.map((c) => c.name).sort()).toEqual(["pug", "pug-admin"]);
    const admin = cmds.find((c) => c.name === "pug-admin");
    expect(admin?.default_member_permissions).toBe("32");
  });

  it("/pug near Katowice lists PySilesia, then Pykonik, and names the nearest alive group", async () => {
    const r = await fake.slash("pug", { place: "Katowice" }, { subcommand: "near" });
    expect(r.ephemeral).toBe(false);
    expect(r.text).toContain("PySilesia");
    expect(r.text.indexOf("PySilesia")).toBeLessThan(r.text.indexOf("Pykonik"));
    expect(r.text).toMatch(/Nearest alive group: \*\*Pykonik\*\*, Kraków, 6\d km/);
    const data = r.callbacks[0]?.data as { allowed_mentions?: { parse?: unknown[] } };
    expect(data.allowed_mentions?.parse).toEqual([]);
  });

  it("an unknown place gets an ephemeral did-you-mean", async () => {
    const r = await fake.slash("pug", { place: "Katowcie" }, { subcommand: "near" });
    expect(r.ephemeral).toBe(true);
    expect(r.text).toMatch(/couldn't find|could be several/);
  });

  it("odd input pings no one and crashes nothing", async () => {
    const r = await fake.slash("pug", { query: "@everyone <@&1> **x**" }, { subcommand: "search" });
    const data = r.callbacks[0]?.data as { allowed_mentions?: { parse?: unknown[] } };
    expect(data.allowed_mentions?.parse).toEqual([]);
    expect(r.text).not.toContain("@everyone");
  });

  it("autocompletes places and groups", async () => {
    const places = await fake.autocomplete("pug", "near", "place", "Krak");
    expect(places.choices?.some((c) => c.name.startsWith("Kraków"))).toBe(true);
    expect(places.choices?.length).toBeLessThanOrEqual(25);
    const groups = await fake.autocomplete("pug", "info", "group", "PySil");
    expect(groups.choices?.[0]?.name).toMatch(/^PySilesia/);
  });

  it("page buttons work for the invoker only", async () => {
    const first = await fake.slash("pug", { place: "Berlin", radius_km: 2000 }, { subcommand: "near" });
    expect(first.text).toMatch(/page 1\/\d/);
    const row = (first.original?.components as { components: { custom_id: string }[] }[] | undefined)?.[0];
    const next = row?.components[1]?.custom_id as string;
    expect(next).toMatch(/^near:/);
    const page2 = await fake.button(next, { user: "member" });
    expect(page2.callbacks[0]?.type).toBe(7);
    expect(page2.text).toMatch(/page 2\/\d/);
    // The bot reads one page at a time: page 2 holds the next groups, none of page 1's, farther away.
    const names = (text: string) => [...text.matchAll(/\*\*\[([^\]]+)\]/g)].map((m) => m[1]);
    const [one, two] = [names(first.text), names(page2.text)];
    expect(one.length).toBeGreaterThan(0);
    expect(two.length).toBeGreaterThan(0);
    expect(two.filter((n) => one.includes(n))).toEqual([]);
    const km = (text: string) =>
      [...text.matchAll(/ · ([\d,.]+) km/g)].map((m) => Number(m[1]?.replace(/,/g, "")));
    expect([km(first.text).length, km(page2.text).length]).toEqual([one.length, two.length]);
    expect(Math.min(...km(page2.text))).toBeGreaterThanOrEqual(Math.max(...km(first.text)));
    const stranger = await fake.button(next, { user: "admin" });
    expect(stranger.ephemeral).toBe(true);
    expect(stranger.text).toMatch(/Only the person who ran this command/);
  });

  it("/pug info shows the verdict in words", async () => {
    const r = await fake.slash("pug", { group: "PySilesia" }, { subcommand: "info" });
    expect(r.text).toContain("PySilesia");
    expect(r.text).toMatch(/dormant/);
  });

  it("/pug stats counts by status", async () => {
    const r = await fake.slash("pug", {}, { subcommand: "stats" });
    expect(r.text).toMatch(/\d+ \/ 46 = [\d.]+% alive/);
  });

  it("/pug map answers with map.png in its embed and the GeoJSON beside it", async () => {
    const r = await fake.slash(
      "pug",
      {},
      { subcommand: "map", until: (x) => attached(x).length >= 2, timeoutMs: 20_000 },
    );
    expect(r.callbacks[0]?.type).toBe(5); // deferred while drawing
    expect(r.ephemeral).toBe(false);
    expect(attached(r)).toEqual(["map.png", "python-user-groups.geojson"]);
    expect(embedImage(r)).toBe("attachment://map.png");
    expect(r.text).toContain("Python user groups of the world");
    const img = PNG.sync.read(await download(r.original?.attachments[0]));
    expect([img.width, img.height]).toEqual([1200, 680]);
    const geo = JSON.parse(String(await download(r.original?.attachments[1]))) as { features: unknown[] };
    expect(geo.features.length).toBeGreaterThan(30);
  });

  it("/pug map around a place draws that place", async () => {
    const r = await fake.slash(
      "pug",
      { place: "Kraków", radius_km: 300 },
      { subcommand: "map", until: (x) => attached(x).length >= 2, timeoutMs: 20_000 },
    );
    expect(r.text).toMatch(/within 300 km of Kraków/);
    const img = PNG.sync.read(await download(r.original?.attachments[0], "krakow"));
    expect([img.width, img.height]).toEqual([1200, 820]);
  });

  it("/pug stats attaches the chart as the embed's picture", async () => {
    const r = await fake.slash(
      "pug",
      {},
      { subcommand: "stats", until: (x) => attached(x).length >= 1, timeoutMs: 20_000 },
    );
    expect(r.text).toMatch(/\d+ \/ 46 = [\d.]+% alive/);
    expect(attached(r)).toEqual(["stats.png"]);
    expect(embedImage(r)).toBe("attachment://stats.png");
    const img = PNG.sync.read(await download(r.original?.attachments[0]));
    expect([img.width, img.height]).toEqual([1200, 620]);
  });

  it("/pug near answers with the list, then the same message gains the map", async () => {
    const r = await fake.slash(
      "pug",
      { place: "Katowice" },
      { subcommand: "near", until: (x) => attached(x).length >= 1, timeoutMs: 20_000 },
    );
    // The first answer is the list, without a file; the map arrives as an edit of that message.
    expect(r.callbacks[0]?.type).toBe(4);
    expect(r.callbacks[0]?.data).not.toHaveProperty("attachments");
    expect(r.edits[0]?.files.map((f) => f.name)).toEqual(["near.png"]);
    expect(attached(r)).toEqual(["near.png"]);
    expect(embedImage(r)).toBe("attachment://near.png");
    expect(r.text).toContain("PySilesia");
    expect(PNG.sync.read(await download(r.original?.attachments[0])).width).toBe(1200);
  });

  it("/pug-admin report sends the clean-up file privately", async () => {
    const r = await fake.slash(
      "pug-admin",
      { format: "csv" },
      { subcommand: "report", user: "admin", until: (x) => attached(x).length >= 1, timeoutMs: 20_000 },
    );
    expect(r.callbacks[0]?.type).toBe(5);
    expect(r.ephemeral).toBe(true);
    expect(attached(r)).toEqual(["report.csv"]);
    expect(String(await download(r.original?.attachments[0]))).toMatch(/^url,name,is_alive,/);
  });

  it("/pug-admin rescan is refused for an ordinary member and accepted for an admin", async () => {
    const refused = await fake.slash("pug-admin", {}, { subcommand: "rescan", user: "member" });
    expect(refused.ephemeral).toBe(true);
    expect(refused.text).toMatch(/Manage Server/);

    const accepted = await fake.slash(
      "pug-admin",
      {},
      {
        subcommand: "rescan",
        user: "admin",
        until: (r) => /unreachable|finished/.test(r.text),
        timeoutMs: 30_000,
      },
    );
    expect(accepted.ephemeral).toBe(true);
    expect(accepted.callbacks[0]?.data).toMatchObject({ content: expect.stringMatching(/Rescan started/) });
    // No internet in tests: the canary fails, so the scan stops and changes nothing.
    expect(accepted.text).toMatch(/internet looks unreachable/);
  });

  it("admins set, show and turn off alerts", async () => {
    const alerts = fake.channelId("alerts");
    const set = await fake.slash(
      "pug-admin",
      { channel: alerts, country: "Poland" },
      { subcommand: "alerts channel", user: "admin" },
    );
    expect(set.text).toMatch(/Alerts for Poland/);
    const show = await fake.slash("pug-admin", {}, { subcommand: "alerts show", user: "admin" });
    expect(show.text).toContain(`<#${alerts}>`);
    const off = await fake.slash("pug-admin", {}, { subcommand: "alerts off", user: "admin" });
    expect(off.text).toMatch(/off/);
  });

  it("survives interactions that expired before it could answer, and keeps answering", async () => {
    // Discord answers 10062 Unknown interaction to every reply: the old router let that end the process.
    const asks: [string, Record<string, string>][] = [
      ["near", { place: "Katowice" }],
      ["stats", {}],
      ["info", { group: "PySilesia" }],
    ];
    for (const [sub, options] of asks)
      await fake.slash("pug", options, { subcommand: sub, ageMs: 10_000, until: () => true });
    await fake.slash(
      "pug-admin",
      {},
      { subcommand: "alerts show", user: "admin", ageMs: 10_000, until: () => true },
    );
    await fake.waitFor(
      () => (bot.output().match(/Discord refused our answer/g) ?? []).length >= 4,
      10_000,
      "the refusals to be logged",
    );
    expect(bot.child.exitCode).toBeNull();
    const r = await fake.slash("pug", { place: "Kraków" }, { subcommand: "near" });
    expect(r.text).toContain("Pykonik");
    expect(bot.output()).toMatch(/"code":10062/);
  });

  it("/pug-admin alerts board is registered and sets, then removes, the board", async () => {
    const admin = fake.commands(fake.guildId).find((c) => c.name === "pug-admin") as {
      options: { name: string; options?: { name: string }[] }[];
    };
    expect(admin.options.find((o) => o.name === "alerts")?.options?.map((o) => o.name)).toContain("board");
    const board = fake.channelId("general");
    const set = await fake.slash(
      "pug-admin",
      { channel: board },
      { subcommand: "alerts board", user: "admin" },
    );
    expect(set.ephemeral).toBe(true);
    expect(set.text).toContain(`<#${board}>`);
    const show = await fake.slash("pug-admin", {}, { subcommand: "alerts show", user: "admin" });
    expect(show.text).toContain(`Status board in <#${board}>`);
    const off = await fake.slash("pug-admin", {}, { subcommand: "alerts board", user: "admin" });
    expect(off.text).toMatch(/status board is off/i);
  });

  it("never logs the token", () => {
    expect(bot.output()).not.toContain(fake.token);
    expect(bot.output()).toMatch(/bot ready/);
    // Nor any interaction token (they travel inside Discord's URLs).
    for (const t of fake.interactionTokens()) expect(bot.output()).not.toContain(t);
  });
});

describe("starting without a token", () => {
  it("exits at once with a message that says what to set and that the CLI works", async () => {
    const child = spawn(process.execPath, ["--import", TSX_LOADER, MAIN], {
      cwd: dir, // no .env there
      env: { PATH: process.env.PATH ?? "", POICK_DB: join(tmpdir(), "never.db") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => {
      err += String(d);
    });
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code).toBe(2);
    expect(err).toMatch(/DISCORD_TOKEN is not set/);
    expect(err).toMatch(/discord\.com\/developers/);
    expect(err).toMatch(/poick/);
  });
});
