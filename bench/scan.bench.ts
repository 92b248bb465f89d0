// Poick's full scan of a loopback world of 1,000 web hosts, side by side with linkinator 7.
// Run: npx tsx bench/scan.bench.ts [--hosts 1000] [--runs 3] [--timeout 5000] [--concurrency 16]
//                                  [--seed 42] [--bind distinct|same] [--poick-retries N]
// The world (every server) lives in this process; each tool runs in its own child process
// (`node --import tsx bench/scan.bench.ts --child poick|linkinator --world-port N`) so its memory is its own.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------- settings

type Bind = "distinct" | "same";
type Tool = "poick" | "linkinator";

interface Args {
  hosts: number;
  runs: number;
  timeoutMs: number;
  concurrency: number;
  seed: number;
  /** distinct: host i listens on its own loopback address 127.77.x.y; same: all on 127.0.0.1. */
  bind: Bind;
  child: Tool | null;
  worldPort: number | null;
  /** Overrides Poick's retries (production default 2) to see what they cost. */
  poickRetries: number | null;
}

function parseArgs(argv: readonly string[]): Args {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (name: string, fallback: number): number => {
    const raw = value(name);
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number.`);
    return n;
  };
  const retries = value("poick-retries");
  if (retries !== undefined && !/^\d+$/.test(retries)) throw new Error("--poick-retries must be 0 or more.");
  const bind = value("bind") ?? "distinct";
  if (bind !== "distinct" && bind !== "same") throw new Error("--bind must be distinct or same.");
  const child = value("child") ?? null;
  if (child !== null && child !== "poick" && child !== "linkinator") {
    throw new Error("--child must be poick or linkinator.");
  }
  return {
    hosts: int("hosts", 1000),
    runs: int("runs", 3),
    timeoutMs: int("timeout", 5000),
    concurrency: int("concurrency", 16),
    seed: int("seed", 42),
    bind,
    child,
    worldPort: value("world-port") === undefined ? null : int("world-port", 0),
    poickRetries: retries === undefined ? null : Number(retries),
  };
}

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), "..");

/** Log-normal latency: median 80 ms, p95 400 ms (sigma = ln 5 / 1.645). */
const MEDIAN_DELAY_MS = 80;
const SIGMA = Math.log(400 / 80) / 1.645;
const MAX_DELAY_MS = 3000;
const HUBS = 5;
const SAMPLE_EVERY_MS = 50;

// ---------------------------------------------------------------- the world (pure part)

type Kind = "alive" | "alive_event" | "redirect" | "http404" | "http500" | "parked" | "hanging" | "refused";

const MIX: readonly [Kind, number][] = [
  ["alive", 0.4],
  ["alive_event", 0.2],
  ["http404", 0.15],
  ["http500", 0.05],
  ["redirect", 0.05],
  ["parked", 0.05],
  ["hanging", 0.05],
  ["refused", 0.05],
];

const KIND_LABEL: Record<Kind, string> = {
  alive: "alive page",
  alive_event: "alive page + JSON-LD event",
  redirect: "301 to the group's new home",
  http404: "404",
  http500: "500",
  parked: "parked page (200)",
  hanging: "hanging (never answers)",
  refused: "refused (closed port)",
};

interface HostSpec {
  index: number;
  kind: Kind;
  name: string;
  delayMs: number;
  ip: string;
  /** Filled in once the server listens (or, for `refused`, once its port is closed again). */
  port: number;
  page: string;
  /** For `redirect`: the hub host that now serves this group's page. */
  hub: number | null;
}

/** Small deterministic PRNG (mulberry32), so both tools see the same world. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  const u = 1 - rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

const pick = <T>(xs: readonly T[], rand: () => number): T => xs[Math.floor(rand() * xs.length)] as T;

function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

function kindsFor(n: number, rand: () => number): Kind[] {
  const kinds = MIX.flatMap(([kind, share]) => Array<Kind>(Math.floor(n * share)).fill(kind));
  while (kinds.length < n) kinds.push("alive");
  return shuffle(kinds, rand);
}

const SYLLABLES = [
  "ka",
  "lo",
  "mi",
  "ra",
  "ven",
  "tos",
  "bel",
  "dra",
  "nor",
  "qui",
  "sel",
  "tar",
  "uvo",
  "zen",
];
const SYLLABLES2 = ["ba", "co", "di", "fe", "gu", "ha", "ji", "ke", "lu", "mo", "ne", "pi", "ro", "su", "ti"];
const SYLLABLES3 = ["ville", "burg", "grad", "polis", "mont", "stad", "ford", "wick", "haven", "dorf"];

/** A unique made-up city per host, so every group has its own name. */
function cityName(i: number): string {
  const a = SYLLABLES[i % SYLLABLES.length] as string;
  const b = SYLLABLES2[Math.floor(i / SYLLABLES.length) % SYLLABLES2.length] as string;
  const c = SYLLABLES3[Math.floor(i / (SYLLABLES.length * SYLLABLES2.length)) % SYLLABLES3.length] as string;
  return `${a[0]?.toUpperCase()}${a.slice(1)}${b}${c}`;
}

const WORDS = (
  "python meetup talk workshop community members pizza django flask data science testing packaging " +
  "async typing beginners mentoring speakers venue sponsors slides lightning coding dojo library release " +
  "pandas numpy jupyter web friendly monthly evening welcome newcomers discussion projects open source " +
  "contributors sprint hack night tutorial interpreter modules decorators generators"
).split(" ");

function paragraph(rand: () => number): string {
  const sentences = Array.from({ length: 3 + Math.floor(rand() * 4) }, () => {
    const words = Array.from({ length: 8 + Math.floor(rand() * 10) }, () => pick(WORDS, rand));
    return `${words.join(" ")}.`;
  });
  const text = sentences.join(" ");
  return `<p>${text[0]?.toUpperCase()}${text.slice(1)}</p>`;
}

const DAY_MS = 86_400_000;

function eventJsonLd(name: string, rand: () => number, now: number): string {
  const upcoming = rand() < 0.5;
  const offset = upcoming ? 3 + rand() * 87 : -(5 + rand() * 195);
  const event = {
    "@context": "https://schema.org",
    "@type": "Event",
    name: `${name} monthly meetup`,
    startDate: new Date(now + offset * DAY_MS).toISOString(),
    location: { "@type": "Place", name: "Community hall" },
  };
  return `<script type="application/ld+json">${JSON.stringify(event)}</script>`;
}

/** A group's home page: 2 to 30 KB of plain talk about Python, sometimes a schema.org event. */
function alivePage(name: string, withEvent: boolean, rand: () => number, now: number): string {
  const paragraphs = Array.from({ length: 4 + Math.floor(rand() * 60) }, () => paragraph(rand)).join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${name}</title>
${withEvent ? eventJsonLd(name, rand, now) : ""}</head><body><header><h1>${name}</h1>
<nav><a href="/">Home</a> <a href="/about">About</a> <a href="/talks">Talks</a></nav></header>
<main>${paragraphs}</main><footer>Run by volunteers of ${name}.</footer></body></html>`;
}

function movedPage(name: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${name} | Meetups</title></head>
<body><h1>${name}</h1><p>Welcome to the new home of ${name}. We meet every month to talk about Python,
share projects and welcome newcomers to our community.</p></body></html>`;
}

const PARKED_PAGES = [
  (d: string) => `<html><head><title>${d}</title></head><body><h1>${d}</h1>
<p>This domain is parked free, courtesy of GoDaddy.com.</p></body></html>`,
  (d: string) => `<html><head><title>${d}</title></head><body><h1>${d}</h1>
<p>This domain may be for sale. Buy this domain today.</p></body></html>`,
  (
    d: string,
  ) => `<html><head><title>${d}</title><script src="https://img.sedoparking.com/js/park.js"></script>
</head><body><div id="ads">Related searches</div></body></html>`,
];

const page404 = "<html><head><title>Not Found</title></head><body><h1>Not Found</h1></body></html>";
const page500 = "<html><head><title>Error</title></head><body><h1>Internal Server Error</h1></body></html>";

function loopbackIp(i: number, bind: Bind): string {
  return bind === "same" ? "127.0.0.1" : `127.77.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

function buildSpecs(n: number, seed: number, bind: Bind, now: number): HostSpec[] {
  const rand = rng(seed);
  const kinds = kindsFor(n, rand);
  const specs = kinds.map((kind, index): HostSpec => {
    const name = `Python ${cityName(index)} User Group`;
    const delayMs = Math.min(MAX_DELAY_MS, Math.round(MEDIAN_DELAY_MS * Math.exp(SIGMA * gaussian(rand))));
    let page = "";
    if (kind === "alive" || kind === "alive_event") page = alivePage(name, kind === "alive_event", rand, now);
    if (kind === "parked") page = pick(PARKED_PAGES, rand)(`${cityName(index).toLowerCase()}-python.org`);
    return { index, kind, name, delayMs, ip: loopbackIp(index, bind), port: 0, page, hub: null };
  });
  // Groups that moved went to a few shared hosts (as many moved to meetup.com): those hosts get
  // several requests each, which exercises the per-host rate limit.
  const hubs = shuffle(
    specs.filter((s) => s.kind === "alive"),
    rand,
  ).slice(0, HUBS);
  specs
    .filter((s) => s.kind === "redirect")
    .forEach((s, k) => {
      s.hub = hubs[k % hubs.length]?.index ?? null;
    });
  return specs;
}

const hostOf = (s: HostSpec): string => `${s.ip}:${s.port}`;
const urlOf = (s: HostSpec): string => `http://${hostOf(s)}/`;

// ---------------------------------------------------------------- the world (servers)

interface RequestSeen {
  host: number;
  at: number;
}

/** Every request the world's hosts received during one tool's run. */
class Traffic {
  seen: RequestSeen[] = [];
  inFlight = 0;
  peakInFlight = 0;
  private readonly hostInFlight = new Map<number, number>();
  peakHostInFlight = 0;

  reset(): void {
    this.seen = [];
    this.peakInFlight = this.inFlight;
    this.peakHostInFlight = 0;
  }

  track(host: number, res: http.ServerResponse): void {
    this.seen.push({ host, at: performance.now() });
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    const mine = (this.hostInFlight.get(host) ?? 0) + 1;
    this.hostInFlight.set(host, mine);
    this.peakHostInFlight = Math.max(this.peakHostInFlight, mine);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      this.hostInFlight.set(host, (this.hostInFlight.get(host) ?? 1) - 1);
    };
    res.on("finish", end);
    res.on("close", end);
  }
}

interface World {
  specs: HostSpec[];
  traffic: Traffic;
  indexUrl: string;
  port: number;
  close(): Promise<void>;
}

function send(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: http.OutgoingHttpHeaders = {},
) {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function answer(
  specs: readonly HostSpec[],
  spec: HostSpec,
  req: http.IncomingMessage,
  res: http.ServerResponse,
) {
  const moved = /^\/moved\/(\d+)$/.exec(req.url ?? "");
  if (moved) {
    const from = specs[Number(moved[1])];
    return from?.hub === spec.index ? send(res, 200, movedPage(from.name)) : send(res, 404, page404);
  }
  if (req.url !== "/") return send(res, 404, page404);
  switch (spec.kind) {
    case "alive":
    case "alive_event":
    case "parked":
      return send(res, 200, spec.page);
    case "redirect": {
      const hub = specs[spec.hub ?? -1];
      return hub
        ? send(res, 301, "", { location: `http://${hostOf(hub)}/moved/${spec.index}` })
        : send(res, 500, page500);
    }
    case "http404":
      return send(res, 404, page404);
    case "http500":
      return send(res, 500, page500);
    default:
      return send(res, 500, page500);
  }
}

function listen(server: http.Server, ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, ip, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function hostServer(specs: readonly HostSpec[], spec: HostSpec, traffic: Traffic): http.Server {
  const server = http.createServer((req, res) => {
    traffic.track(spec.index, res);
    if (spec.kind === "hanging") return; // accepts, reads the request, never answers
    setTimeout(() => answer(specs, spec, req, res), spec.delayMs).unref();
  });
  server.keepAliveTimeout = 5_000;
  return server;
}

function indexPage(specs: readonly HostSpec[]): string {
  const links = specs.map((s) => `<li><a href="${urlOf(s)}">${s.name}</a></li>`).join("\n");
  return `<!doctype html><html><head><title>Local user groups</title></head><body><ul>\n${links}\n</ul></body></html>`;
}

interface WorldInfo {
  indexUrl: string;
  canaryUrl: string;
  timeoutMs: number;
  concurrency: number;
  poickRetries: number | null;
  groups: { name: string; url: string }[];
}

async function startWorld(args: Args): Promise<World> {
  const specs = buildSpecs(args.hosts, args.seed, args.bind, Date.now());
  const traffic = new Traffic();
  const servers: http.Server[] = [];
  // Refused hosts are opened and closed last, so no later listener can take their port.
  const order = [...specs.filter((s) => s.kind !== "refused"), ...specs.filter((s) => s.kind === "refused")];
  for (const spec of order) {
    const server = hostServer(specs, spec, traffic);
    spec.port = await listen(server, spec.ip);
    if (spec.kind === "refused") await closeServer(server);
    else servers.push(server);
  }
  const canary = specs.find((s) => s.kind === "alive" && !specs.some((r) => r.hub === s.index));
  if (!canary) throw new Error("The world has no alive host to use as the canary.");
  const index = http.createServer((req, res) => {
    if (req.url === "/world.json") {
      const info: WorldInfo = {
        indexUrl,
        canaryUrl: urlOf(canary),
        timeoutMs: args.timeoutMs,
        concurrency: args.concurrency,
        poickRetries: args.poickRetries,
        groups: specs.map((s) => ({ name: s.name, url: urlOf(s) })),
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(info));
    } else if (req.url === "/") {
      send(res, 200, indexPage(specs));
    } else {
      send(res, 404, page404);
    }
  });
  const port = await listen(index, "127.0.0.1");
  const indexUrl = `http://127.0.0.1:${port}/`;
  return {
    specs,
    traffic,
    indexUrl,
    port,
    close: async () => {
      await Promise.all([...servers, index].map(closeServer));
    },
  };
}

// ---------------------------------------------------------------- children (one tool each)

interface Verdict {
  /** Poick: alive/dormant/dead/unknown; linkinator: OK/BROKEN/SKIPPED. */
  state: string;
  detail: string;
}

interface ChildReport {
  tool: Tool;
  wallMs: number;
  peakRss: number;
  peakHeapUsed: number;
  baselineRss: number;
  baselineHeapUsed: number;
  maxRss: number;
  summary: string;
  verdicts: Record<string, Verdict>;
}

function fetchWorld(port: number): Promise<WorldInfo> {
  return new Promise((resolve, reject) => {
    http
      .get(`http://127.0.0.1:${port}/world.json`, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as WorldInfo));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/** Peak RSS and heapUsed, sampled every 50 ms while the tool works. */
function startSampler() {
  let peakRss = 0;
  let peakHeapUsed = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeapUsed = Math.max(peakHeapUsed, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, SAMPLE_EVERY_MS);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakRss, peakHeapUsed };
    },
  };
}

async function runPoick(
  world: WorldInfo,
): Promise<Omit<ChildReport, "maxRss" | "baselineRss" | "baselineHeapUsed">> {
  // Imported here so the linkinator child loads none of Poick.
  const [{ createApp }, { seedGroups }, { loadConfig }, { createLogger }] = await Promise.all([
    import("../src/app.js"),
    import("../test/helpers/seed.js"),
    import("../src/config.js"),
    import("../src/logger.js"),
  ]);
  const dir = mkdtempSync(path.join(os.tmpdir(), "poick-scan-bench-"));
  try {
    const dbPath = path.join(dir, "poick.db");
    // Production defaults except what the loopback world needs (and the timeout both tools share).
    const config = loadConfig(
      {
        POICK_DB: dbPath,
        POICK_ALLOW_NETS: "127.0.0.0/8",
        POICK_CANARY_URLS: world.canaryUrl,
        POICK_TIMEOUT_MS: String(world.timeoutMs),
        POICK_CONCURRENCY: String(world.concurrency),
        ...(world.poickRetries !== null && { POICK_RETRIES: String(world.poickRetries) }),
      },
      null,
    );
    // The same application every door builds: the scan below is exactly `poick scan`.
    const app = await createApp(config, { logger: createLogger("warn") });
    const ids = await seedGroups(app.db, world.groups);
    const urlById = new Map(ids.map((id, i) => [id, world.groups[i]?.url ?? ""]));
    const sampler = startSampler();
    const started = performance.now();
    const outcome = await app.jobs.scanAll();
    const wallMs = performance.now() - started;
    const mem = sampler.stop();
    await app.close();
    const verdicts: Record<string, Verdict> = {};
    let summary: string = outcome.kind;
    if (outcome.kind === "done") {
      summary = `done: ${JSON.stringify(outcome.counts)}; retries ${config.scan.retries}, per host ${config.scan.hostConcurrency} in flight / ${config.scan.hostRatePerSecond} per s`;
      for (const g of outcome.groups) {
        const attempts = g.verdict.evidence.attempts;
        verdicts[urlById.get(g.id) ?? g.id] = {
          state: g.status,
          detail: `${g.verdict.reason}${typeof attempts === "number" && attempts > 1 ? ` ×${attempts}` : ""}`,
        };
      }
    }
    return { tool: "poick", wallMs, ...mem, summary, verdicts };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runLinkinator(
  world: WorldInfo,
): Promise<Omit<ChildReport, "maxRss" | "baselineRss" | "baselineHeapUsed">> {
  const { LinkChecker } = await import("linkinator");
  const checker = new LinkChecker();
  const sampler = startSampler();
  const started = performance.now();
  const result = await checker.check({
    path: world.indexUrl,
    recurse: false,
    concurrency: world.concurrency,
    timeout: world.timeoutMs,
  });
  const wallMs = performance.now() - started;
  const mem = sampler.stop();
  const verdicts: Record<string, Verdict> = {};
  for (const link of result.links) {
    if (link.url === world.indexUrl) continue;
    verdicts[link.url] = { state: link.state, detail: String(link.status ?? 0) };
  }
  const broken = result.links.filter((l) => l.state === "BROKEN").length;
  return {
    tool: "linkinator",
    wallMs,
    ...mem,
    summary: `${result.links.length} links, ${broken} broken`,
    verdicts,
  };
}

async function childMain(args: Args): Promise<void> {
  if (args.child === null || args.worldPort === null) throw new Error("--child needs --world-port.");
  const world = await fetchWorld(args.worldPort);
  const { rss: baselineRss, heapUsed: baselineHeapUsed } = process.memoryUsage();
  const report = args.child === "poick" ? await runPoick(world) : await runLinkinator(world);
  const maxRss = process.resourceUsage().maxRSS * 1024; // kilobytes on every platform Node supports
  const full: ChildReport = { ...report, baselineRss, baselineHeapUsed, maxRss };
  // linkinator leaves keep-alive sockets in Node's global dispatcher: exit once the report is written.
  process.stdout.write(`RESULT ${JSON.stringify(full)}\n`, () => process.exit(0));
}

// ---------------------------------------------------------------- parent: runs and figures

interface RunStats {
  tool: Tool;
  round: number;
  report: ChildReport;
  processMs: number;
  requests: number;
  peakInFlight: number;
  peakHostInFlight: number;
  maxPerHostPerSecond: number;
}

function runChild(tool: Tool, world: World): Promise<{ report: ChildReport; processMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", SELF, "--child", tool, "--world-port", String(world.port)],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const processMs = performance.now() - started;
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (!line) return reject(new Error(`The ${tool} child exited with ${code} and no result:\n${out}`));
      resolve({ report: JSON.parse(line.slice("RESULT ".length)) as ChildReport, processMs });
    });
  });
}

/** The most requests one host received within any one-second window. */
function maxPerHostPerSecond(seen: readonly RequestSeen[]): number {
  const byHost = new Map<number, number[]>();
  for (const r of seen) {
    const list = byHost.get(r.host) ?? [];
    list.push(r.at);
    byHost.set(r.host, list);
  }
  let best = 0;
  for (const times of byHost.values()) {
    times.sort((a, b) => a - b);
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= 1000) lo++;
      best = Math.max(best, hi - lo + 1);
    }
  }
  return best;
}

async function measure(tool: Tool, round: number, world: World): Promise<RunStats> {
  world.traffic.reset();
  const { report, processMs } = await runChild(tool, world);
  const t = world.traffic;
  const stats: RunStats = {
    tool,
    round,
    report,
    processMs,
    requests: t.seen.length,
    peakInFlight: t.peakInFlight,
    peakHostInFlight: t.peakHostInFlight,
    maxPerHostPerSecond: maxPerHostPerSecond(t.seen),
  };
  process.stderr.write(
    `  round ${round} ${tool.padEnd(10)} ${(report.wallMs / 1000).toFixed(1)} s, ${t.seen.length} requests, ${report.summary}\n`,
  );
  await new Promise((r) => setTimeout(r, 500)); // let the child's sockets wind down
  return stats;
}

const median = (xs: number[]): number => percentile(xs, 50);
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}
const mib = (bytes: number): string => (bytes / 1_048_576).toFixed(0);
const secs = (ms: number): string => (ms / 1000).toFixed(1);

const KINDS = MIX.map(([k]) => k);

const POICK_EXPECTED: Record<Kind, string> = {
  alive: "alive",
  alive_event: "alive",
  redirect: "alive",
  http404: "dead",
  http500: "dead",
  parked: "dead",
  hanging: "unknown",
  refused: "dead",
};

/** What a link checker should say; parked pages are dead sites, which a status code cannot show. */
const LINK_EXPECTED: Record<Kind, string> = {
  alive: "OK",
  alive_event: "OK",
  redirect: "OK",
  http404: "BROKEN",
  http500: "BROKEN",
  parked: "BROKEN",
  hanging: "BROKEN",
  refused: "BROKEN",
};

function confusion(
  specs: readonly HostSpec[],
  verdicts: Record<string, Verdict>,
  columns: readonly string[],
  expected: Record<Kind, string>,
): { lines: string[]; correct: number } {
  const lines = [
    `| world truth | hosts | ${columns.join(" | ")} | missing | expected | correct | details seen |`,
    `|---|--:|${columns.map(() => "--:|").join("")}--:|---|--:|---|`,
  ];
  let correct = 0;
  for (const kind of KINDS) {
    const mine = specs.filter((s) => s.kind === kind);
    const counts = new Map<string, number>();
    const details = new Map<string, number>();
    for (const s of mine) {
      const v = verdicts[urlOf(s)];
      const state = v?.state ?? "missing";
      counts.set(state, (counts.get(state) ?? 0) + 1);
      if (v) details.set(v.detail, (details.get(v.detail) ?? 0) + 1);
    }
    const ok = counts.get(expected[kind]) ?? 0;
    correct += ok;
    const detailText = [...details]
      .sort((a, b) => b[1] - a[1])
      .map(([d, n]) => `${d} (${n})`)
      .join(", ");
    lines.push(
      `| ${KIND_LABEL[kind]} | ${mine.length} | ${columns.map((c) => counts.get(c) ?? 0).join(" | ")} | ${counts.get("missing") ?? 0} | ${expected[kind]} | ${ok} | ${detailText} |`,
    );
  }
  return { lines, correct };
}

/** Hosts whose verdict differs between two runs of the same tool. */
function unstable(runs: readonly RunStats[]): number {
  const first = runs[0]?.report.verdicts ?? {};
  const urls = new Set(runs.flatMap((r) => Object.keys(r.report.verdicts)));
  let n = 0;
  for (const url of urls) {
    if (runs.some((r) => r.report.verdicts[url]?.state !== first[url]?.state)) n++;
  }
  return n;
}

function worldLines(world: World, args: Args): string[] {
  const answering = world.specs.filter((s) => s.kind !== "hanging" && s.kind !== "refused");
  const delays = answering.map((s) => s.delayMs);
  const mix = KINDS.map((k) => `${KIND_LABEL[k]} ${world.specs.filter((s) => s.kind === k).length}`).join(
    ", ",
  );
  const events = world.specs.filter((s) => s.kind === "alive_event").length;
  return [
    `- Hosts: ${args.hosts}, each its own node:http server on ${args.bind === "same" ? "127.0.0.1" : "its own loopback address 127.77.x.y"} and port; seed ${args.seed}.`,
    `- Mix: ${mix}. ${events} alive pages carry a JSON-LD event (half upcoming, half recent); redirects go to ${HUBS} shared hub hosts that name the group.`,
    `- Latency of answering hosts: median ${median(delays)} ms, p95 ${percentile(delays, 95)} ms, max ${Math.max(...delays)} ms (log-normal, capped at ${MAX_DELAY_MS} ms).`,
    `- Both tools: timeout ${args.timeoutMs} ms, concurrency ${args.concurrency}. Node ${process.version}, ${os.cpus().length} CPUs, ${os.platform()}.`,
  ];
}

function resultLines(all: readonly RunStats[], args: Args): string[] {
  const lines = [
    "| tool | wall time, median (s) | runs (s) | child process, median (s) | peak RSS sampled, median (MiB) | maxRSS, median (MiB) | RSS before, median (MiB) | heapUsed peak, median (MiB) | heapUsed before, median (MiB) | requests | peak in flight (world) | max in flight to one host | max requests to one host in any 1 s |",
    "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const tool of ["poick", "linkinator"] as const) {
    const runs = all.filter((r) => r.tool === tool);
    const m = (f: (r: RunStats) => number) => median(runs.map(f));
    const range = (f: (r: RunStats) => number) =>
      [Math.min(...runs.map(f)), Math.max(...runs.map(f))].join("–");
    lines.push(
      `| ${tool} | ${secs(m((r) => r.report.wallMs))} | ${runs.map((r) => secs(r.report.wallMs)).join(", ")} | ${secs(m((r) => r.processMs))} | ${mib(m((r) => r.report.peakRss))} | ${mib(m((r) => r.report.maxRss))} | ${mib(m((r) => r.report.baselineRss))} | ${mib(m((r) => r.report.peakHeapUsed))} | ${mib(m((r) => r.report.baselineHeapUsed))} | ${range((r) => r.requests)} | ${range((r) => r.peakInFlight)} | ${range((r) => r.peakHostInFlight)} | ${range((r) => r.maxPerHostPerSecond)} |`,
    );
  }
  const p = median(all.filter((r) => r.tool === "poick").map((r) => r.report.wallMs));
  const l = median(all.filter((r) => r.tool === "linkinator").map((r) => r.report.wallMs));
  lines.push(
    "",
    `Ratio of medians, Poick / linkinator: **${(p / l).toFixed(2)}×** (${args.runs} runs each, alternating).`,
  );
  return lines;
}

function notes(args: Args): string[] {
  return [
    args.poickRetries === null
      ? "- Poick runs with its production defaults apart from the timeout, concurrency, canary and allowNets: per host 4 in flight and 4 starts per second, **2 retries** (after 0.5 s and 2 s) on refused connections and other network errors, 5xx and 429, but **one** retry at most on a timeout. A hanging host therefore holds one of the 16 request slots for 2 × timeout, a 500 or a refused port costs 3 attempts; back-off waits hold no slot. The hanging hosts alone take 50 × 2 × 5 s / 16 slots ≈ 31 s: that is most of its wall time."
      : `- Poick runs with its production defaults apart from the timeout, concurrency, canary, allowNets and **retries, set to ${args.poickRetries} here (production default 2)**: per host 4 in flight and 4 starts per second.`,
    "- Poick GETs every page, reads the body (up to 1 MiB), parses it with cheerio (parked/soft-404/spam/bot-wall signals, JSON-LD, feeds) and writes a check row plus state per group in SQLite; it also asks the canary again when a network failure comes more than 15 s after the last canary check.",
    "- linkinator GETs the index page, then sends HEAD to each link and, when HEAD fails or is not 2xx, a GET (so a 404, 500, hanging or refused host costs it two requests, a hanging one 2 × timeout). It reads no bodies of the links, never retries by default (`retryErrors` off) and has no per-host limit. It follows redirects (fetch `redirect: follow`) and reports the first URL.",
    "- linkinator's `concurrency` bounds its queue, but links found on a page start their request as soon as they are found (the queued task only awaits a promise already running), so the world sees far more than the configured concurrency in flight (column “peak in flight”).",
    `- ${args.bind === "distinct" ? "Hosts listen on distinct loopback addresses (127.77.x.y) because Poick's HostLimiter keys on the URL's hostname without the port: with every host on 127.0.0.1 (`--bind same`) Poick would treat the whole world as one host and crawl it at 4 requests per second." : "All hosts listen on 127.0.0.1: Poick's HostLimiter keys on the hostname without the port, so it treats this whole world as one host (4 starts per second, 4 in flight)."}`,
    "- Wall time is measured inside each child around `scanGroups()` / `check()` only; “child process” adds node + tsx start-up, module loading, and for Poick opening the database and seeding the groups.",
  ];
}

async function parentMain(args: Args): Promise<void> {
  const benchStarted = performance.now();
  process.stderr.write(`Starting a world of ${args.hosts} hosts...\n`);
  const world = await startWorld(args);
  const all: RunStats[] = [];
  try {
    for (let round = 1; round <= args.runs; round++) {
      const order: Tool[] = round % 2 === 1 ? ["poick", "linkinator"] : ["linkinator", "poick"];
      for (const tool of order) all.push(await measure(tool, round, world));
    }
  } finally {
    await world.close();
  }
  const firstOf = (tool: Tool) => all.find((r) => r.tool === tool) as RunStats;
  const poick = confusion(
    world.specs,
    firstOf("poick").report.verdicts,
    ["alive", "dormant", "dead", "unknown"],
    POICK_EXPECTED,
  );
  const link = confusion(
    world.specs,
    firstOf("linkinator").report.verdicts,
    ["OK", "BROKEN", "SKIPPED"],
    LINK_EXPECTED,
  );
  const n = world.specs.length;
  const out = [
    `# Full scan of a ${args.hosts}-host loopback world: Poick vs linkinator`,
    "",
    ...worldLines(world, args),
    "",
    "## Wall time, memory and politeness",
    "",
    ...resultLines(all, args),
    "",
    `## Accuracy: Poick (run 1; verdicts that differ between runs: ${unstable(all.filter((r) => r.tool === "poick"))})`,
    "",
    "Status after the first scan (a never-seen-alive group takes the first conclusive verdict; a timeout is unknown).",
    "",
    ...poick.lines,
    "",
    `Poick matches the expected status for **${poick.correct} / ${n}** hosts (${((100 * poick.correct) / n).toFixed(1)}%).`,
    "",
    `## Accuracy: linkinator (run 1; verdicts that differ between runs: ${unstable(all.filter((r) => r.tool === "linkinator"))})`,
    "",
    ...link.lines,
    "",
    `linkinator matches the expected state for **${link.correct} / ${n}** hosts (${((100 * link.correct) / n).toFixed(1)}%).`,
    "",
    "## What each tool does differently",
    "",
    ...notes(args),
    "",
    `Whole bench: ${secs(performance.now() - benchStarted)} s.`,
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}

const args = parseArgs(process.argv.slice(2));
if (args.child) await childMain(args);
else await parentMain(args);
