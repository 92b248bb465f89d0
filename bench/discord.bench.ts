// The real bot (src/main.ts, in its own process) answering slash commands and autocomplete from the fake Discord,
// at the fixture's 46 groups and at 100,000 synthetic groups, side by side with a minimal discord.js bot that
// answers "pong" to everything (the floor: gateway + discord.js + one REST callback, no work).
// Run: npm run build && npx tsx bench/discord.bench.ts [--n 200] [--groups 100000] [--seed 42] [--warmup 10]
//        [--tsx] [--plain-node] [--settle MS] [--network-delay MS]
// Both bots run on built JavaScript as an operator runs them: Poick as `npm start` does (node with the start
// script's flags, dist/main.js), the peer as plain `node`; --plain-node runs Poick without the start script's
// flags; --tsx runs src/main.ts through tsx's loader instead (both bots then carry the loader's memory).
// Poick draws its maps in a renderer process (its child): its RSS is reported apart, now and at its peak.
// With DATABASE_URL set (scripts/with-postgres.sh), the 100,000 groups are also served from PostgreSQL.
//
// Latency = fake's INTERACTION_CREATE dispatch `at` -> the bot's first callback `at` (both Date.now(), so whole ms);
// "wall" = performance.now() around the fake's interact() (adds the fake's own bookkeeping, sub-ms resolution).
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { systemClock } from "../src/clock.js";
import { commandDefinitions } from "../src/commands/index.js";
import { type Db, isPostgresUrl, openDatabase } from "../src/db/connect.js";
import { ensureGazetteer } from "../src/db/gazetteer.js";
import { applySync } from "../src/db/groups.js";
import type { Status } from "../src/db/schema.js";
import { continentOf, countryName, regionName } from "../src/geo/countries.js";
import { syncGroups } from "../src/jobs/sync.js";
import { silentLogger } from "../src/logger.js";
import { groupId } from "../src/sources/normalize-url.js";
import { childProcesses, startBot, TSX_LOADER } from "../test/helpers/bot-process.js";
import {
  type FakeDiscord,
  type InteractionResult,
  type OptionValue,
  startFakeDiscord,
} from "../test/helpers/fake-discord.js";

// ---------------------------------------------------------------- settings

interface Args {
  n: number;
  groups: number;
  seed: number;
  warmup: number;
  tsx: boolean;
  /** Run dist/main.js with plain `node`, without the flags `npm start` gives it. */
  plainNode: boolean;
  /**
   * Milliseconds to wait after each measured command, so the next one finds the bot settled (its map drawn and
   * sent as an edit): one user's command at a time, rather than commands queued behind the last one's picture.
   */
  settleMs: number;
  /** One-way delay the fake Discord adds to every message, as the real one is across a network (0: loopback). */
  networkDelayMs: number;
}

function parseArgs(argv: readonly string[]): Args {
  const int = (name: string, fallback: number, min = 1): number => {
    const i = argv.indexOf(`--${name}`);
    const n = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min}.`);
    return n;
  };
  return {
    n: int("n", 200),
    groups: int("groups", 100_000),
    seed: int("seed", 42),
    warmup: int("warmup", 10, 0),
    tsx: argv.includes("--tsx"),
    plainNode: argv.includes("--plain-node"),
    settleMs: int("settle", 0, 0),
    networkDelayMs: int("network-delay", 0, 0),
  };
}

const ROOT = join(import.meta.dirname, "..");
const WIKI = join(ROOT, "test/fixtures/wiki/LocalUserGroups.html");
const P99_TARGET_MS = 50;
const INTERACT_TIMEOUT_MS = 30_000;
const BIG_CITY = 1_000_000;
const IDLE_SETTLE_MS = 3000;
/** --settle and --network-delay (see Args): set once from the command line. */
let settleMs = 0;
let networkDelayMs = 0;

// ---------------------------------------------------------------- small pure helpers

/** mulberry32: every run asks the same questions. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const between = (rand: Rand, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}
const median = (xs: readonly number[]): number => percentile(xs, 50);

/** A piece of `s` of 1..maxLen characters, from anywhere in it (what someone half-remembering a name types). */
function fragment(rand: Rand, s: string, minLen: number, maxLen: number): string {
  const chars = [...s.trim()];
  const len = Math.min(chars.length, between(rand, minLen, maxLen));
  const start = between(rand, 0, Math.max(0, chars.length - len));
  return chars
    .slice(start, start + len)
    .join("")
    .trim();
}

const fmt = (ms: number): string => (Number.isNaN(ms) ? "–" : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
const mib = (kb: number | null): string => (kb === null ? "–" : (kb / 1024).toFixed(0));

/** VmRSS (now) or VmHWM (the peak so far) of a process, from /proc. */
function rssKb(pid: number | undefined, field: "VmRSS" | "VmHWM" = "VmRSS"): number | null {
  if (!pid) return null;
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The bot's renderer process (its child running render-worker), if one runs now. */
function rendererPid(botPid: number | undefined): number | undefined {
  if (!botPid) return undefined;
  return childProcesses(botPid).find((c) => c.cmdline.includes("render-worker"))?.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- databases

interface CitySample {
  id: number;
  name: string;
  country: string;
  admin_code: string | null;
  population: number;
  lat: number;
  lon: number;
}

interface Prepared {
  label: string;
  /** A SQLite file, or a postgres:// URL. */
  path: string;
  groups: { id: string; name: string }[];
}

interface Preparation {
  gazetteerMs: number;
  cities: CitySample[];
  bigCities: string[];
  fixture: Prepared;
  synthetic: Prepared & { insertMs: number };
  /** The same 100,000 groups on PostgreSQL, when DATABASE_URL is set. */
  postgres: (Prepared & { insertMs: number; drop: () => Promise<void> }) | null;
}

function copyDb(from: string, to: string): void {
  copyFileSync(from, to);
  for (const ext of ["-wal", "-shm"]) if (existsSync(from + ext)) copyFileSync(from + ext, to + ext);
}

async function listGroups(db: Db): Promise<{ id: string; name: string }[]> {
  return db.selectFrom("groups").select(["id", "name"]).where("removed_at", "is", null).execute();
}

const STATUS_MIX: readonly [Status, number][] = [
  ["alive", 0.4],
  ["dormant", 0.2],
  ["dead", 0.25],
  ["unknown", 0.15],
];

function randomStatus(rand: Rand): Status {
  let r = rand();
  for (const [s, w] of STATUS_MIX) {
    if (r < w) return s;
    r -= w;
  }
  return "unknown";
}

/** A group per random gazetteer city ("PyKatowice 12345"), in that city, with a random verdict. */
function syntheticGroups(rand: Rand, cities: readonly CitySample[], count: number) {
  return Array.from({ length: count }, (_, i) => {
    const c = pick(rand, cities);
    const name = `Py${c.name.replace(/\s+/g, "")} ${i}`;
    const url = `https://py-${i}.example.org/`;
    const normalized = `py-${i}.example.org`;
    const status = randomStatus(rand);
    return {
      status,
      reason: status === "unknown" ? null : "bench",
      ever_alive: status === "alive" || rand() < 0.3 ? 1 : 0,
      upsert: {
        id: groupId(`${name}`, normalized),
        name,
        url,
        normalized_url: normalized,
        description: null,
        continent: continentOf(c.country),
        country_code: c.country,
        country_name: countryName(c.country),
        region: regionName(c.country, c.admin_code),
        city: c.name,
        lat: c.lat,
        lon: c.lon,
        geo_confidence: 1,
        geo_level: "city" as const,
      },
    };
  });
}

type Synthetic = ReturnType<typeof syntheticGroups>;

/** The synthetic groups through one sync, then their verdicts (a sync never writes the scanner's fields). */
async function loadSynthetic(db: Db, synthetic: Synthetic): Promise<number> {
  const t0 = performance.now();
  await applySync(db, {
    sourceId: "wiki",
    sourceUrl: "bench:synthetic",
    etag: null,
    lastModified: null,
    now: new Date().toISOString(),
    upserts: synthetic.map((s) => s.upsert),
  });
  const insertMs = performance.now() - t0;
  const byVerdict = new Map<string, { status: Status; reason: string | null; ever: number; ids: string[] }>();
  for (const s of synthetic) {
    const k = `${s.status}|${s.reason}|${s.ever_alive}`;
    let v = byVerdict.get(k);
    if (!v) {
      v = { status: s.status, reason: s.reason, ever: s.ever_alive, ids: [] };
      byVerdict.set(k, v);
    }
    v.ids.push(s.upsert.id);
  }
  for (const v of byVerdict.values())
    for (let i = 0; i < v.ids.length; i += 1000)
      await db
        .updateTable("groups")
        .set({ status: v.status, reason: v.reason, ever_alive: v.ever })
        .where("id", "in", v.ids.slice(i, i + 1000))
        .execute();
  return insertMs;
}

async function prepare(dir: string, a: Args): Promise<Preparation> {
  const base = join(dir, "base.db");
  let db = await openDatabase(base);
  const gz = await ensureGazetteer(db);
  const cities = (await db
    .selectFrom("cities")
    .select(["id", "name", "country", "admin_code", "population", "lat", "lon"])
    .execute()) as CitySample[];
  await db.destroy();
  const bigCities = [...new Set(cities.filter((c) => c.population >= BIG_CITY).map((c) => c.name))];

  const fixturePath = join(dir, "fixture.db");
  copyDb(base, fixturePath);
  db = await openDatabase(fixturePath);
  const synced = await syncGroups({ db, clock: systemClock, logger: silentLogger }, { source: WIKI });
  if (synced.kind !== "synced") throw new Error(`fixture sync: ${synced.kind}`);
  const fixtureRand = rng(a.seed + 1);
  for (const g of await listGroups(db)) {
    const status = randomStatus(fixtureRand);
    await db
      .updateTable("groups")
      .set({ status, reason: "bench", ever_alive: status === "alive" ? 1 : 0 })
      .where("id", "=", g.id)
      .execute();
  }
  const fixtureGroups = await listGroups(db);
  await db.destroy();

  const syntheticPath = join(dir, "synthetic.db");
  copyDb(base, syntheticPath);
  db = await openDatabase(syntheticPath);
  const synthetic = syntheticGroups(rng(a.seed + 2), cities, a.groups);
  const insertMs = await loadSynthetic(db, synthetic);
  const syntheticGroupsList = await listGroups(db);
  await db.destroy();
  rmSync(base, { force: true });

  let postgres: Preparation["postgres"] = null;
  const server = process.env.DATABASE_URL;
  if (server) {
    const name = "poick_bench_discord";
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
    const u = new URL(server);
    u.pathname = `/${name}`;
    const pgDb = await openDatabase(u.toString());
    await ensureGazetteer(pgDb);
    const pgInsertMs = await loadSynthetic(pgDb, synthetic);
    const pgGroups = await listGroups(pgDb);
    await pgDb.destroy();
    postgres = {
      label: `synthetic on PostgreSQL (${pgGroups.length.toLocaleString("en")} groups)`,
      path: u.toString(),
      groups: pgGroups,
      insertMs: pgInsertMs,
      drop: async () => {
        await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      },
    };
  }

  return {
    gazetteerMs: gz.ms,
    cities,
    bigCities,
    fixture: { label: `fixture (${fixtureGroups.length} groups)`, path: fixturePath, groups: fixtureGroups },
    synthetic: {
      label: `synthetic (${syntheticGroupsList.length.toLocaleString("en")} groups)`,
      path: syntheticPath,
      groups: syntheticGroupsList,
      insertMs,
    },
    postgres,
  };
}

// ---------------------------------------------------------------- what is asked

type CommandStep = { kind: "near" | "search" | "info" | "stats"; options: Record<string, OptionValue> };
type AutocompleteStep = {
  kind: "ac place" | "ac group";
  sub: "near" | "info";
  option: string;
  value: string;
};

function planCommands(
  rand: Rand,
  n: number,
  bigCities: readonly string[],
  groups: readonly { id: string; name: string }[],
): CommandStep[] {
  return Array.from({ length: n }, (): CommandStep => {
    switch (pick(rand, ["near", "search", "info", "stats"] as const)) {
      case "near":
        return { kind: "near", options: { place: pick(rand, bigCities) } };
      case "search":
        return { kind: "search", options: { query: fragment(rand, pick(rand, groups).name, 3, 6) || "py" } };
      case "info":
        // The autocomplete's value is the group id, so that is what a real /pug info carries.
        return { kind: "info", options: { group: pick(rand, groups).id } };
      default:
        return { kind: "stats", options: {} };
    }
  });
}

function planAutocomplete(
  rand: Rand,
  n: number,
  cities: readonly CitySample[],
  groups: readonly { id: string; name: string }[],
): AutocompleteStep[] {
  return Array.from({ length: n }, (_, i): AutocompleteStep => {
    if (i % 2 === 0) {
      const prefix = [...pick(rand, cities).name]
        .slice(0, between(rand, 1, 4))
        .join("")
        .toLowerCase();
      return { kind: "ac place", sub: "near", option: "place", value: prefix.trim() || "a" };
    }
    return {
      kind: "ac group",
      sub: "info",
      option: "group",
      value: fragment(rand, pick(rand, groups).name, 1, 6),
    };
  });
}

// ---------------------------------------------------------------- measuring

interface Sample {
  kind: string;
  /** dispatch -> first callback, from the fake's own `at` stamps (whole ms) */
  ms: number;
  wallMs: number;
  ok: boolean;
  detail: string;
}

async function measure(
  fake: FakeDiscord,
  kind: string,
  send: () => Promise<InteractionResult>,
  isOk: (r: InteractionResult) => boolean,
): Promise<Sample> {
  const before = fake.dispatched.length;
  const t0 = performance.now();
  const r = await send();
  const wallMs = performance.now() - t0;
  const sent = fake.dispatched.slice(before).find((d) => d.t === "INTERACTION_CREATE");
  const first = r.callbacks[0];
  if (!sent || !first) throw new Error(`${kind}: no dispatch or no callback recorded`);
  return { kind, ms: first.at - sent.at, wallMs, ok: isOk(r), detail: r.text.slice(0, 80) };
}

const runCommand = (fake: FakeDiscord, s: CommandStep, isOk: (r: InteractionResult) => boolean) =>
  measure(
    fake,
    s.kind,
    () => fake.slash("pug", s.options, { subcommand: s.kind, timeoutMs: INTERACT_TIMEOUT_MS }),
    isOk,
  );

const runAutocomplete = (fake: FakeDiscord, s: AutocompleteStep) =>
  measure(
    fake,
    s.kind,
    () => fake.autocomplete("pug", s.sub, s.option, s.value, { timeoutMs: INTERACT_TIMEOUT_MS }),
    (r) => r.choices !== null,
  );

interface BotRun {
  who: string;
  startMs: number;
  rssIdleKb: number | null;
  rssAfterKb: number | null;
  /** The bot process's peak RSS over the whole run (VmHWM). */
  rssPeakKb: number | null;
  /** Poick's renderer process after the interactions: RSS now and its peak (null: none running). */
  renderer: { rssKb: number | null; peakKb: number | null; pids: number };
  commands: Sample[];
  autocomplete: Sample[];
}

/** The bot has answered: the router's generic failure text means it broke. */
const poickAnswered = (r: InteractionResult) =>
  r.callbacks.length > 0 && !/Something went wrong|went wrong on my side/i.test(r.text);

async function drive(
  fake: FakeDiscord,
  who: string,
  pid: number | undefined,
  startMs: number,
  warmup: { commands: CommandStep[]; autocomplete: AutocompleteStep[] },
  commands: CommandStep[],
  autocomplete: AutocompleteStep[],
  isOk: (r: InteractionResult) => boolean,
): Promise<BotRun> {
  await sleep(IDLE_SETTLE_MS);
  const rssIdleKb = rssKb(pid);
  // Renderers come and go (started on the first picture, replaced when they grow): each one's peak is kept.
  // This process is also the fake Discord whose clock the latencies come from: the known renderer's status is
  // read once a second, and /proc is searched for a new one only when that read fails.
  const rendererPeaks = new Map<number, number>();
  let known: number | undefined;
  const watch = setInterval(() => {
    let hwm = known === undefined ? null : rssKb(known, "VmHWM");
    if (hwm === null) {
      known = rendererPid(pid);
      hwm = known === undefined ? null : rssKb(known, "VmHWM");
    }
    if (known !== undefined && hwm !== null) rendererPeaks.set(known, hwm);
  }, 1000);
  try {
    for (const s of warmup.commands) await runCommand(fake, s, isOk);
    for (const s of warmup.autocomplete) await runAutocomplete(fake, s);
    const cmd: Sample[] = [];
    for (const s of commands) {
      cmd.push(await runCommand(fake, s, isOk));
      if (settleMs > 0) await sleep(settleMs);
    }
    const ac: Sample[] = [];
    for (const s of autocomplete) ac.push(await runAutocomplete(fake, s));
    const rssAfterKb = rssKb(pid);
    const r = rendererPid(pid);
    const lastHwm = r === undefined ? null : rssKb(r, "VmHWM");
    if (r !== undefined && lastHwm !== null) rendererPeaks.set(r, lastHwm);
    const renderer = {
      rssKb: r === undefined ? null : rssKb(r),
      peakKb: rendererPeaks.size ? Math.max(...rendererPeaks.values()) : null,
      pids: rendererPeaks.size,
    };
    return {
      who,
      startMs,
      rssIdleKb,
      rssAfterKb,
      rssPeakKb: rssKb(pid, "VmHWM"),
      renderer,
      commands: cmd,
      autocomplete: ac,
    };
  } finally {
    clearInterval(watch);
  }
}

/** SIGTERM (a clean shutdown), SIGKILL if it is still there after 5 s; both to the child's process group. */
async function stopChild(exited: Promise<unknown>, kill: (s: NodeJS.Signals) => void) {
  kill("SIGTERM");
  const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!done) {
    kill("SIGKILL");
    await exited;
  }
}

async function runPoick(
  a: Args,
  db: Prepared,
  dir: string,
  warmup: { commands: CommandStep[]; autocomplete: AutocompleteStep[] },
  commands: CommandStep[],
  autocomplete: AutocompleteStep[],
): Promise<BotRun> {
  const fake = await startFakeDiscord({ networkDelayMs });
  const t0 = performance.now();
  const where: Record<string, string> = isPostgresUrl(db.path)
    ? { DATABASE_URL: db.path }
    : { POICK_DB: db.path };
  const bot = startBot(
    fake,
    { ...where, cwd: dir, POICK_LOG_LEVEL: "warn" },
    {
      built: !a.tsx,
      ...(a.plainNode && { nodeFlags: [] }),
    },
  );
  try {
    await fake.waitFor(
      () => fake.commands(fake.guildId).length === 2,
      60_000,
      "Poick to register its commands",
    );
    await fake.waitForReady(60_000);
    const startMs = performance.now() - t0;
    return await drive(
      fake,
      `Poick, ${db.label}`,
      bot.child.pid,
      startMs,
      warmup,
      commands,
      autocomplete,
      poickAnswered,
    );
  } catch (err) {
    process.stderr.write(`Poick's output:\n${bot.output()}\n`);
    throw err;
  } finally {
    await stopChild(bot.exited, (s) => bot.kill(s));
    await fake.close();
  }
}

const PEER = `
import { Client, Events, GatewayIntentBits } from "discord.js";
const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: process.env.FAKE_API } });
client.on(Events.InteractionCreate, (i) => {
  if (i.isAutocomplete()) void i.respond([{ name: "pong", value: "pong" }]).catch(() => {});
  else if (i.isChatInputCommand()) void i.reply("pong").catch(() => {});
});
client.once(Events.ClientReady, (c) =>
  void c.application.commands.set(JSON.parse(process.env.PEER_COMMANDS), process.env.FAKE_GUILD));
process.once("SIGTERM", () => void client.destroy().then(() => process.exit(0)));
await client.login(process.env.FAKE_TOKEN);
`;

async function runPeer(
  a: Args,
  warmup: { commands: CommandStep[]; autocomplete: AutocompleteStep[] },
  commands: CommandStep[],
  autocomplete: AutocompleteStep[],
): Promise<BotRun> {
  const fake = await startFakeDiscord({ networkDelayMs });
  const t0 = performance.now();
  const loader = a.tsx ? ["--import", TSX_LOADER] : [];
  const child = spawn(process.execPath, [...loader, "--input-type=module", "-e", PEER], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      FAKE_API: fake.apiUrl,
      FAKE_TOKEN: fake.token,
      FAKE_GUILD: fake.guildId,
      PEER_COMMANDS: JSON.stringify(commandDefinitions()),
    },
  });
  let err = "";
  child.stderr?.on("data", (d) => {
    err += String(d);
  });
  const exited = new Promise((r) => child.once("exit", r));
  const kill = (s: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, s);
    } catch {
      // gone already
    }
  };
  try {
    await fake.waitFor(
      () => fake.commands(fake.guildId).length === 2,
      60_000,
      "the peer to register commands",
    );
    await fake.waitForReady(60_000);
    const startMs = performance.now() - t0;
    const pong = (r: InteractionResult) => r.content === "pong";
    return await drive(fake, "discord.js pong bot", child.pid, startMs, warmup, commands, autocomplete, pong);
  } catch (e) {
    process.stderr.write(`peer's stderr:\n${err}\n`);
    throw e;
  } finally {
    await stopChild(exited, kill);
    await fake.close();
  }
}

// ---------------------------------------------------------------- report

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function statsOf(xs: readonly Sample[]) {
  return {
    median: median(xs.map((s) => s.ms)),
    p99: percentile(
      xs.map((s) => s.ms),
      99,
    ),
    max: Math.max(...xs.map((s) => s.ms)),
    wall: median(xs.map((s) => s.wallMs)),
    failed: xs.filter((s) => !s.ok).length,
  };
}

function report(a: Args, prep: Preparation, runs: BotRun[], peer: BotRun): string {
  const lines: string[] = [];
  lines.push(
    `## Discord interactions: ${a.n} slash commands + ${a.n} autocompletes each, sequential (seed ${a.seed}, ${a.warmup} + ${a.warmup} warm-up not counted)`,
    "",
    `Gazetteer build ${fmt(prep.gazetteerMs / 1000)} s; ${prep.synthetic.groups.length.toLocaleString("en")} synthetic groups inserted with one applySync in ${fmt(prep.synthetic.insertMs / 1000)} s.`,
    "",
    row([
      "bot",
      "start→ready (s)",
      "cmd median (ms)",
      "cmd p99",
      "cmd max",
      "cmd wall median",
      "autocomplete median",
      "autocomplete p99",
      "ac max",
      "ac wall median",
      "not ok",
      "RSS idle (MiB)",
      "RSS after (MiB)",
      "RSS peak (MiB)",
      "renderer RSS after / peak (MiB)",
    ]),
    row(Array.from({ length: 15 }, () => "---")),
  );
  for (const r of [...runs, peer]) {
    const c = statsOf(r.commands);
    const ac = statsOf(r.autocomplete);
    lines.push(
      row([
        r.who,
        fmt(r.startMs / 1000),
        fmt(c.median),
        fmt(c.p99),
        fmt(c.max),
        fmt(c.wall),
        fmt(ac.median),
        fmt(ac.p99),
        fmt(ac.max),
        fmt(ac.wall),
        String(c.failed + ac.failed),
        mib(r.rssIdleKb),
        mib(r.rssAfterKb),
        mib(r.rssPeakKb),
        r.renderer.pids ? `${mib(r.renderer.rssKb)} / ${mib(r.renderer.peakKb)}` : "–",
      ]),
    );
  }
  lines.push("", "Per kind (dispatch → first callback, ms): median / p99", "");
  const kinds = ["near", "search", "info", "stats", "ac place", "ac group"];
  lines.push(row(["bot", ...kinds]), row(Array.from({ length: kinds.length + 1 }, () => "---")));
  for (const r of [...runs, peer]) {
    const all = [...r.commands, ...r.autocomplete];
    lines.push(
      row([
        r.who,
        ...kinds.map((k) => {
          const xs = all.filter((s) => s.kind === k).map((s) => s.ms);
          return xs.length ? `${fmt(median(xs))} / ${fmt(percentile(xs, 99))} (n=${xs.length})` : "–";
        }),
      ]),
    );
  }
  lines.push(
    "",
    "Poick / peer, ratio of medians (`at`: dispatch → first callback, whole ms; wall: around interact(), sub-ms):",
    "",
  );
  lines.push(
    row(["bot", "commands (at)", "commands (wall)", "autocomplete (at)", "autocomplete (wall)", "RSS after"]),
    row(Array.from({ length: 6 }, () => "---")),
  );
  const pc = statsOf(peer.commands);
  const pac = statsOf(peer.autocomplete);
  const ratio = (x: number, y: number) => (y > 0 ? `${(x / y).toFixed(1)}×` : "– (peer median 0 ms)");
  for (const r of runs) {
    const c = statsOf(r.commands);
    const ac = statsOf(r.autocomplete);
    lines.push(
      row([
        r.who,
        ratio(c.median, pc.median),
        ratio(c.wall, pc.wall),
        ratio(ac.median, pac.median),
        ratio(ac.wall, pac.wall),
        r.rssAfterKb && peer.rssAfterKb ? `${(r.rssAfterKb / peer.rssAfterKb).toFixed(1)}×` : "–",
      ]),
    );
  }
  lines.push("");
  // Issue 13: "/pug near through Discord is answered within 2× a trivial discord.js bot's round trip". The same near
  // commands, sent to both; round trip = the fake's interact() (dispatch to first callback, sub-ms, one clock).
  const nearWalls = (r: BotRun) => r.commands.filter((s) => s.kind === "near").map((s) => s.wallMs);
  const peerNear = nearWalls(peer);
  const where =
    networkDelayMs > 0
      ? `with ${networkDelayMs} ms of one-way network delay each way (--network-delay)`
      : "on loopback (no network delay)";
  for (const r of runs) {
    const mine = nearWalls(r);
    if (!mine.length || !peerNear.length) continue;
    const m = median(mine) / median(peerNear);
    const p = percentile(mine, 99) / percentile(peerNear, 99);
    lines.push(
      `near round trip ${where}, ${r.who}: median ${fmt(median(mine))} ms vs the pong bot's ${fmt(median(peerNear))} ms = ${m.toFixed(2)}×, p99 ${fmt(percentile(mine, 99))} vs ${fmt(percentile(peerNear, 99))} ms = ${p.toFixed(2)}× — target ≤ 2×: ${m <= 2 ? "met" : "MISSED"} (median).`,
    );
  }
  for (const r of runs) {
    // The target (issue 13) is for place autocomplete; group names are reported beside it.
    const place = statsOf(r.autocomplete.filter((s) => s.kind === "ac place")).p99;
    const group = statsOf(r.autocomplete.filter((s) => s.kind === "ac group")).p99;
    // With --network-delay the round trip carries the delay twice; the target is for the bot's own time.
    const own = place - 2 * networkDelayMs;
    const carried =
      networkDelayMs > 0 ? ` (${fmt(own)} ms without the ${2 * networkDelayMs} ms of network delay)` : "";
    lines.push(
      `Place autocomplete p99 at ${r.who}: ${fmt(place)} ms${carried} — target < ${P99_TARGET_MS} ms: ${own < P99_TARGET_MS ? "met" : "MISSED"} (group autocomplete p99 ${fmt(group)} ms). RSS ${mib(r.rssIdleKb)} MiB after start, ${mib(r.rssAfterKb)} MiB after ${r.commands.length + r.autocomplete.length} measured interactions (plus warm-up), target < 150: ${Math.max(r.rssIdleKb ?? 0, r.rssAfterKb ?? 0) < 150 * 1024 ? "met" : "MISSED"}; renderer process ${r.renderer.pids ? `${mib(r.renderer.rssKb)} MiB now, peak ${mib(r.renderer.peakKb)} MiB (${r.renderer.pids} started)` : "none"}.`,
    );
  }
  const bad = runs.flatMap((r) =>
    [...r.commands, ...r.autocomplete].filter((s) => !s.ok).map((s) => [r.who, s]),
  );
  for (const [who, s] of bad.slice(0, 5))
    lines.push(`not ok: ${String(who)} ${(s as Sample).kind}: ${(s as Sample).detail}`);
  return lines.join("\n");
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  settleMs = a.settleMs;
  networkDelayMs = a.networkDelayMs;
  const dir = mkdtempSync(join(tmpdir(), "poick-discord-bench-"));
  try {
    const t0 = performance.now();
    process.stderr.write("preparing databases (gazetteer, fixture sync, synthetic groups)…\n");
    const prep = await prepare(dir, a);
    process.stderr.write(`prepared in ${fmt((performance.now() - t0) / 1000)} s\n`);

    if (!a.tsx && !existsSync(join(ROOT, "dist/main.js")))
      throw new Error("dist/main.js is missing: run `npm run build` first (or pass --tsx)");
    const dbs = [prep.fixture, prep.synthetic, ...(prep.postgres ? [prep.postgres] : [])];
    const plans = dbs.map((db, i) => {
      // The PostgreSQL run asks the same questions as the SQLite one at the same size.
      const rand = rng(a.seed + 10 + Math.min(i, 1));
      return {
        db,
        warmup: {
          commands: planCommands(rand, a.warmup, prep.bigCities, db.groups),
          autocomplete: planAutocomplete(rand, a.warmup, prep.cities, db.groups),
        },
        commands: planCommands(rand, a.n, prep.bigCities, db.groups),
        autocomplete: planAutocomplete(rand, a.n, prep.cities, db.groups),
      };
    });

    const runs: BotRun[] = [];
    for (const p of plans) {
      process.stderr.write(`Poick against ${p.db.label}…\n`);
      runs.push(await runPoick(a, p.db, dir, p.warmup, p.commands, p.autocomplete));
    }
    // The peer's answers don't depend on a database: it gets the same questions as the big run.
    const last = plans[1] ?? plans[0]!;
    process.stderr.write("the discord.js pong bot…\n");
    const peer = await runPeer(a, last.warmup, last.commands, last.autocomplete);
    process.stdout.write(`${report(a, prep, runs, peer)}\n`);
    process.stderr.write(`total ${fmt((performance.now() - t0) / 1000)} s\n`);
    await prep.postgres?.drop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
