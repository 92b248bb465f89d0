// One group's death fanned out to 1,000 guilds: queuing the alerts (one queueTransitionAlerts in a transaction)
// and dispatching them through the outbox (dispatchAlerts + RestNotifier against the fake Discord), side by side
// with the same POSTs made by the same REST client in a plain loop, with no outbox.
// Run: npx tsx bench/fanout.bench.ts [--guilds 1000] [--runs 3]
//
// Dispatcher overhead per alert = (dispatch wall time − time spent inside notifier.send) / alerts.
// discord.js's REST client holds every bot to Discord's global 50 requests/s by itself, so as shipped both sides
// take about alerts / 50 seconds and the outbox's own work hides in those waits. A second pass lifts that cap
// (the same REST client, `globalRequestsPerSecond` raised; the fake never answers 429 unless told to) to show
// the machinery's cost when nothing waits.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { REST, Routes } from "discord.js";
import type {
  RESTPostAPIChannelMessageJSONBody,
  RESTPostAPIChannelMessageResult,
} from "discord-api-types/v10";
import { type Notifier, nonceForKey, type SendResult } from "../src/alerts/notifier.js";
import { systemClock } from "../src/clock.js";
import { type Db, openDatabase } from "../src/db/connect.js";
import { upsertGuildAlerts } from "../src/db/guild-settings.js";
import { pendingCount } from "../src/db/outbox.js";
import type { GroupRow } from "../src/db/schema.js";
import { RestNotifier, sendFailure } from "../src/discord/rest-notifier.js";
import { queueTransitionAlerts } from "../src/jobs/alert-queue.js";
import { dispatchAlerts } from "../src/jobs/dispatch.js";
import { syncGroups } from "../src/jobs/sync.js";
import { silentLogger } from "../src/logger.js";
import { type FakeDiscord, startFakeDiscord } from "../test/helpers/fake-discord.js";

interface Args {
  guilds: number;
  runs: number;
}

function parseArgs(argv: readonly string[]): Args {
  const int = (name: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    const n = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number.`);
    return n;
  };
  return { guilds: int("guilds", 1000), runs: int("runs", 3) };
}

const ROOT = join(import.meta.dirname, "..");
const WIKI = join(ROOT, "test/fixtures/wiki/LocalUserGroups.html");
const DYING = "PySilesia";
/** dispatchAlerts claims at most 20 × 25 rows per call; a few calls must empty the outbox. */
const MAX_DISPATCH_CALLS = 50;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.ceil(s.length / 2) - 1] ?? Number.NaN;
};
const fmt = (x: number, digits = 1): string => (Number.isNaN(x) ? "–" : x.toFixed(digits));

/** Counts the time spent inside `send`, so the dispatcher's own work can be told apart. */
class TimedNotifier implements Notifier {
  sendMs = 0;
  sends = 0;
  constructor(private readonly inner: Notifier) {}
  async send(
    channelId: string,
    message: RESTPostAPIChannelMessageJSONBody,
    nonce: string,
  ): Promise<SendResult> {
    const t0 = performance.now();
    try {
      return await this.inner.send(channelId, message, nonce);
    } finally {
      this.sendMs += performance.now() - t0;
      this.sends++;
    }
  }
}

type Throttle = "50/s cap (as shipped)" | "no global cap";
const THROTTLES: readonly Throttle[] = ["50/s cap (as shipped)", "no global cap"];

/** RestNotifier's send, on a REST client whose global requests-per-second cap is out of the way. */
class UncappedNotifier implements Notifier {
  private readonly rest: REST;
  constructor(token: string, api: string) {
    this.rest = new REST({ api, globalRequestsPerSecond: 1_000_000 }).setToken(token);
  }
  async send(
    channelId: string,
    message: RESTPostAPIChannelMessageJSONBody,
    nonce: string,
  ): Promise<SendResult> {
    try {
      const created = (await this.rest.post(Routes.channelMessages(channelId), {
        body: { ...message, nonce, enforce_nonce: true },
      })) as RESTPostAPIChannelMessageResult;
      return { ok: true, messageId: created.id };
    } catch (err) {
      return sendFailure(err);
    }
  }
  close(): void {
    this.rest.clearHashSweeper();
    this.rest.clearHandlerSweeper();
  }
}

function notifierFor(fake: FakeDiscord, throttle: Throttle): Notifier & { close(): void } {
  return throttle === "no global cap"
    ? new UncappedNotifier(fake.token, fake.apiUrl)
    : new RestNotifier({ token: fake.token, api: fake.apiUrl });
}

interface Posts {
  posts: number;
  ok: number;
  rateLimited: number;
  other: number;
}

function postsSince(fake: FakeDiscord, from: number): Posts {
  const posts = fake.requests
    .slice(from)
    .filter((r) => r.method === "POST" && /^\/channels\/\d+\/messages$/.test(r.route));
  return {
    posts: posts.length,
    ok: posts.filter((r) => r.status >= 200 && r.status < 300).length,
    rateLimited: posts.filter((r) => r.status === 429).length,
    other: posts.filter((r) => r.status !== 429 && (r.status < 200 || r.status >= 300)).length,
  };
}

interface World {
  dir: string;
  db: Db;
  fake: FakeDiscord;
  group: GroupRow;
  channels: string[];
  setupMs: number;
}

async function makeWorld(a: Args): Promise<World> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "poick-fanout-bench-"));
  const db = await openDatabase(join(dir, "poick.db"));
  const synced = await syncGroups({ db, clock: systemClock, logger: silentLogger }, { source: WIKI });
  if (synced.kind !== "synced") throw new Error(`fixture sync: ${synced.kind}`);
  // The dying group is alive until now; its neighbours are alive, so the alert names the nearest one.
  await db
    .updateTable("groups")
    .set({ status: "alive", reason: "upcoming_event", ever_alive: 1 })
    .where("country_name", "in", ["Poland", "Germany", "Czechia", "Czech Republic"])
    .execute();
  await db
    .updateTable("groups")
    .set({ failing_since: new Date().toISOString() })
    .where("name", "=", DYING)
    .execute();
  const group = await db.selectFrom("groups").selectAll().where("name", "=", DYING).executeTakeFirstOrThrow();

  const fake = await startFakeDiscord({
    guilds: Array.from({ length: a.guilds }, (_, i) => ({
      name: `Python Guild ${i + 1}`,
      channels: ["alerts"],
    })),
  });
  const channels = fake.guilds.map((g) => fake.channelId("alerts", g.id));
  const since = new Date(Date.now() - 60_000).toISOString();
  await db.transaction().execute(async (trx) => {
    for (const [i, g] of fake.guilds.entries())
      await upsertGuildAlerts(trx, g.id, {
        channelId: channels[i]!,
        scope: { kind: "all", value: null, lat: null, lon: null, radiusKm: null },
        now: since,
      });
  });
  return { dir, db, fake, group, channels, setupMs: performance.now() - t0 };
}

interface PoickRun {
  queueMs: number;
  queued: number;
  wallMs: number;
  sendMs: number;
  sends: number;
  dispatchCalls: number;
  delivered: number;
  failed: number;
  posts: Posts;
  payload: RESTPostAPIChannelMessageJSONBody;
}

async function runPoick(w: World, at: string, throttle: Throttle): Promise<PoickRun> {
  const t0 = performance.now();
  const queued = await w.db.transaction().execute((trx) =>
    queueTransitionAlerts(trx, {
      group: w.group,
      transition: "dead",
      verdict: { reason: "http_404", evidence: { httpStatus: 404 } },
      at,
      firstScan: false,
    }),
  );
  const queueMs = performance.now() - t0;
  if (queued !== w.channels.length) throw new Error(`queued ${queued} alerts, expected ${w.channels.length}`);

  const rest = notifierFor(w.fake, throttle);
  const notifier = new TimedNotifier(rest);
  const from = w.fake.requests.length;
  const t1 = performance.now();
  let dispatchCalls = 0;
  while ((await pendingCount(w.db)) > 0 && dispatchCalls < MAX_DISPATCH_CALLS) {
    await dispatchAlerts({ db: w.db, clock: systemClock, logger: silentLogger, notifier });
    dispatchCalls++;
  }
  const wallMs = performance.now() - t1;
  rest.close();

  const rows = await w.db
    .selectFrom("outbox")
    .select(["delivered_at", "failed_at", "payload"])
    .where("created_at", "=", at)
    .execute();
  return {
    queueMs,
    queued,
    wallMs,
    sendMs: notifier.sendMs,
    sends: notifier.sends,
    dispatchCalls,
    delivered: rows.filter((r) => r.delivered_at !== null).length,
    failed: rows.filter((r) => r.failed_at !== null).length,
    posts: postsSince(w.fake, from),
    payload: JSON.parse(rows[0]?.payload ?? "{}") as RESTPostAPIChannelMessageJSONBody,
  };
}

interface PeerRun {
  wallMs: number;
  delivered: number;
  posts: Posts;
}

/** The same messages, posted one after another by the same REST client: no database, no claims, no bookkeeping. */
async function runPeer(
  w: World,
  payload: RESTPostAPIChannelMessageJSONBody,
  tag: string,
  throttle: Throttle,
): Promise<PeerRun> {
  const rest = notifierFor(w.fake, throttle);
  const from = w.fake.requests.length;
  const t0 = performance.now();
  let delivered = 0;
  for (const [i, channel] of w.channels.entries()) {
    const r = await rest.send(channel, payload, nonceForKey(`peer:${tag}:${i}`));
    if (r.ok) delivered++;
  }
  const wallMs = performance.now() - t0;
  rest.close();
  return { wallMs, delivered, posts: postsSince(w.fake, from) };
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

interface Pass {
  throttle: Throttle;
  poick: PoickRun[];
  peer: PeerRun[];
}

function report(a: Args, w: World, passes: Pass[]): string {
  const n = w.channels.length;
  const all = passes.flatMap((p) => p.poick);
  const queueMs = median(all.map((r) => r.queueMs));
  const total = (xs: Posts[], k: keyof Posts) => xs.reduce((t, p) => t + p[k], 0);
  const lines = [
    `## Fan-out of one death to ${n.toLocaleString("en")} guilds (median of ${a.runs} runs each; setup ${fmt(w.setupMs / 1000)} s)`,
    "",
    `Queue: one queueTransitionAlerts in one transaction: **${fmt(queueMs)} ms** for ${median(all.map((r) => r.queued))} alerts (${fmt((queueMs / n) * 1000, 0)} µs per alert; runs: ${all.map((r) => fmt(r.queueMs)).join(", ")} ms).`,
    "",
    row([
      "REST client",
      "who",
      "wall (s)",
      "ms per alert",
      "POSTs per run",
      "429s / other non-2xx (all runs)",
      "delivered per run",
      "inside send (s)",
      "outbox overhead per alert (ms)",
      "Poick / peer",
    ]),
    row(Array.from({ length: 10 }, () => "---")),
  ];
  for (const p of passes) {
    const wall = median(p.poick.map((r) => r.wallMs));
    const peerWall = median(p.peer.map((r) => r.wallMs));
    const overhead = p.poick.map((r) => (r.wallMs - r.sendMs) / n);
    const pPosts = p.poick.map((r) => r.posts);
    const qPosts = p.peer.map((r) => r.posts);
    lines.push(
      row([
        p.throttle,
        `Poick: dispatchAlerts ×${median(p.poick.map((r) => r.dispatchCalls))} until the outbox is empty`,
        `${fmt(wall / 1000, 2)} (${p.poick.map((r) => fmt(r.wallMs / 1000, 2)).join(", ")})`,
        fmt(wall / n, 2),
        String(median(pPosts.map((x) => x.posts))),
        `${total(pPosts, "rateLimited")} / ${total(pPosts, "other")}`,
        String(median(p.poick.map((r) => r.delivered))),
        fmt(median(p.poick.map((r) => r.sendMs)) / 1000, 2),
        `${fmt(median(overhead), 3)} (${overhead.map((x) => fmt(x, 3)).join(", ")})`,
        `${fmt(wall / peerWall, 2)}×`,
      ]),
      row([
        p.throttle,
        "peer: same POSTs, plain loop",
        `${fmt(peerWall / 1000, 2)} (${p.peer.map((r) => fmt(r.wallMs / 1000, 2)).join(", ")})`,
        fmt(peerWall / n, 2),
        String(median(qPosts.map((x) => x.posts))),
        `${total(qPosts, "rateLimited")} / ${total(qPosts, "other")}`,
        String(median(p.peer.map((r) => r.delivered))),
        "–",
        "–",
        "1×",
      ]),
    );
  }
  const failed = all.reduce((t, r) => t + r.failed, 0);
  if (failed > 0) lines.push("", `${failed} alert(s) failed for good in the outbox.`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const started = performance.now();
  process.stderr.write(
    `setting up: fixture groups, ${a.guilds} guilds and alert channels on the fake Discord…\n`,
  );
  const w = await makeWorld(a);
  try {
    const passes: Pass[] = [];
    for (const throttle of THROTTLES) {
      const pass: Pass = { throttle, poick: [], peer: [] };
      for (let run = 0; run < a.runs; run++) {
        // A new change time per run: new outbox keys, so every run queues and sends all alerts again.
        const at = new Date().toISOString();
        const p = await runPoick(w, at, throttle);
        const q = await runPeer(w, p.payload, `${throttle}:${run}`, throttle);
        process.stderr.write(
          `${throttle}, run ${run + 1}: queued ${p.queued} in ${fmt(p.queueMs)} ms, dispatched in ${fmt(p.wallMs / 1000, 2)} s; peer ${fmt(q.wallMs / 1000, 2)} s\n`,
        );
        pass.poick.push(p);
        pass.peer.push(q);
      }
      passes.push(pass);
    }
    process.stdout.write(`${report(a, w, passes)}\n`);
    process.stderr.write(`total ${fmt((performance.now() - started) / 1000)} s\n`);
  } finally {
    await w.fake.close();
    await w.db.destroy();
    rmSync(w.dir, { recursive: true, force: true });
  }
}

await main();
