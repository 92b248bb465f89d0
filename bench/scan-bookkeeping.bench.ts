/**
 * Scan bookkeeping at 100,000 groups, on SQLite and on PostgreSQL side by side: the scan's whole write path
 * (a check row per group, the group's state with hysteresis, events and alert rows for transitions, the scan's
 * progress for resuming), run through the use case the CLI and the bot call (`createJobs(…).scanAll`: the job
 * lock, the alert hooks, the status boards), with a prober that answers at once from memory, so no time goes
 * to the network. Peer: the same 100,000 judgements (probe + classify) with no database at all, run before
 * and after the scans; bookkeeping = the scan's wall (or CPU) − the mean of the two peers'. Three scans: the
 * first (every group's first check), a second (failures accumulate, some groups change status) and a third (a
 * tenth of the groups, alive at first, fail a second time and die: 10,000 transitions with their events and
 * alert hooks). Seeding, each scan and each peer run in a process of their own, so a peak RSS (getrusage) is
 * that step's own; "RSS at start" is that process before it scans. Per group: the median and p99 over the
 * scan's hundredths (the time between every GROUPS / 100th written check, from the scan's progress reports;
 * the peer's likewise, per judged group).
 * --live adds the live heap after a full GC, ten times per scan; --heap-mib N runs the scans and the peer with
 * node --max-old-space-size=N.
 * Run: scripts/with-postgres.sh npx tsx bench/scan-bookkeeping.bench.ts [--groups 100000] [--only sqlite,postgres,peer]
 * (without DATABASE_URL: SQLite and the peer). --before DIR also runs an older build, taking turns with this one
 * step by step: DIR is a checkout (`git worktree add --detach DIR COMMIT`, node_modules linked in) with this
 * file copied to DIR/bench/; its own code seeds, scans and judges.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve as resolvePath } from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../src/clock.js";
import { type Db, openDatabase } from "../src/db/connect.js";
import { applySync, type SyncUpsert } from "../src/db/groups.js";
import { judgeGroup, type Prober, type ScanDeps } from "../src/jobs/scan.js";
import { createJobs } from "../src/jobs/use-cases.js";
import type { ProbeResult } from "../src/liveness/probe-types.js";
import { silentLogger } from "../src/logger.js";
import { withScratchDatabase } from "./pg-scratch.js";

const { values } = parseArgs({
  options: {
    groups: { type: "string", default: "100000" },
    // Which engines (and the peer) to run: "sqlite,postgres,peer" by default.
    only: { type: "string", default: "sqlite,postgres,peer" },
    // An older build's checkout with this file copied to its bench/: run too, taking turns with this one.
    before: { type: "string" },
    // Internal: one step in a process of its own (seed, scan or peer), printing its figures as JSON.
    child: { type: "string" },
    db: { type: "string" },
    round: { type: "string", default: "0" },
    // Also take the live heap (heapUsed right after a full GC) ten times per scan: what the scan keeps,
    // without V8's slack. The GCs cost time, so the timed columns are best read from a run without it.
    live: { type: "boolean", default: false },
    // Caps the old space of the scan and peer processes (node --max-old-space-size): how much of the peak
    // RSS is V8 letting its heap grow before it collects, rather than what the scan keeps.
    "heap-mib": { type: "string" },
  },
});
const ONLY = new Set((values.only as string).split(","));
const GROUPS = Number(values.groups);
const SCANS = ["first", "second", "third"];
/**
 * Progress is sampled every STEP checks: about a hundred slices per scan, each a whole number of the scan's
 * 250-check write batches (progress is reported when a batch is written).
 */
const STEP = Math.max(250, Math.round(GROUPS / 100 / 250) * 250);

const PAGE = (name: string) =>
  `<!doctype html><html><head><title>${name}</title></head><body><h1>${name}</h1><p>Python user group. We meet every month; talks, beginners welcome.</p></body></html>`;

/** Answers from memory: 60% a group's page, 20% 404, 10% 500, 10% refused; the mix shifts on every scan. */
function memoryProber(round: { n: number }): Prober {
  return {
    async probe(url) {
      sampleLive();
      const n = Number(/(\d+)/.exec(url)?.[1] ?? 0);
      const k = (n * 7 + round.n * 3) % 10;
      const base: ProbeResult = {
        url,
        finalUrl: url,
        status: 200,
        headers: { "content-type": "text/html; charset=utf-8" },
        hops: [],
        body: null,
        truncated: false,
        contentType: "text/html",
        error: null,
        attempts: 1,
        timings: { totalMs: 1, ttfbMs: 1 },
      };
      if (k < 6) return { ...base, body: PAGE(`Py${n}`) };
      if (k < 8) return { ...base, status: 404, body: "<html><body>Not found</body></html>" };
      if (k < 9) return { ...base, status: 500, body: "<html><body>Server error</body></html>" };
      return {
        ...base,
        finalUrl: null,
        status: null,
        headers: {},
        contentType: null,
        error: { code: "refused", message: "connection refused" },
      };
    },
  };
}

function groups(): SyncUpsert[] {
  return Array.from({ length: GROUPS }, (_, i) => ({
    id: `g${i}`,
    name: `Py${i}`,
    url: `https://py${i}.example.org/`,
    normalized_url: `//py${i}.example.org`,
    description: null,
    continent: "Europe",
    country_code: "PL",
    country_name: "Poland",
    region: null,
    city: "Katowice",
    lat: 50 + (i % 1000) / 1000,
    lon: 19 + Math.floor(i / 1000) / 100,
    geo_confidence: 1,
    geo_level: "city" as const,
  }));
}

interface Run {
  wallS: number;
  cpuS: number;
  rssStartMiB: number;
  rssPeakMiB: number;
  /** One-minute load average when the step started and when it ended. */
  loadStart: number;
  loadEnd: number;
  /** Milliseconds each hundredth of the checks took (STEP checks written, or judged by the peer). */
  slicesMs: number[];
  /** With --live: the largest live heap seen, and the live heap at each sample. */
  liveMaxMiB?: number;
  liveMiB?: number[];
  checked: number;
  transitions: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
const live: number[] = [];
let probes = 0;
/**
 * With --live, every GROUPS / 10 probes: the live heap (heapUsed right after a full GC). Counted in probes,
 * not on a timer: with SQLite and this prober the scan never yields to the timers.
 */
function sampleLive() {
  if (!values.live || !gc || ++probes % Math.max(1, Math.floor(GROUPS / 10)) !== 0) return;
  gc();
  live.push(Math.round(process.memoryUsage().heapUsed / 1048576));
}

/** Counts checks as they are reported and notes the time of every STEP-th. */
function slices() {
  let n = 0;
  let last = performance.now();
  const ms: number[] = [];
  return {
    ms,
    tick() {
      if (++n % STEP !== 0) return;
      const t = performance.now();
      ms.push(t - last);
      last = t;
    },
  };
}

async function timed(
  fn: (tick: () => void) => Promise<{ checked: number; transitions: number }>,
): Promise<Run> {
  const rssStart = process.memoryUsage().rss;
  const loadStart = loadavg()[0] as number;
  const s = slices();
  const t = performance.now();
  const c = process.cpuUsage();
  const r = await fn(s.tick);
  const dc = process.cpuUsage(c);
  return {
    wallS: (performance.now() - t) / 1000,
    cpuS: (dc.user + dc.system) / 1e6,
    rssStartMiB: rssStart / 1048576,
    // The process's peak (getrusage): a sampler on a timer would not run while the scan keeps the loop busy.
    rssPeakMiB: process.resourceUsage().maxRSS / 1024,
    loadStart,
    loadEnd: loadavg()[0] as number,
    slicesMs: s.ms,
    ...(values.live && { liveMaxMiB: Math.max(0, ...live), liveMiB: live }),
    ...r,
  };
}

interface Build {
  label: string;
  /** This bench file in the build's checkout, and the checkout. */
  file: string;
  cwd: string;
}

/** Runs the build's copy of this file with `args` in a fresh process and reads the Run it prints. */
function inChild(build: Build, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...(values.live ? ["--expose-gc"] : []),
        ...(values["heap-mib"] ? [`--max-old-space-size=${values["heap-mib"]}`] : []),
        "--import",
        import.meta.resolve("tsx"),
        build.file,
        "--groups",
        String(GROUPS),
        ...args,
        ...(values.live ? ["--live"] : []),
      ],
      { cwd: build.cwd, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`${build.label}: child ${args.join(" ")} exited with ${code}`));
      else resolve(JSON.parse(out.trim().split("\n").at(-1) as string) as Run);
    });
  });
}

const settings: ScanDeps["settings"] = {
  deadAfterChecks: 2,
  deadAfterHours: 0,
  dormantAfterDays: 365,
  canaryUrls: [],
  concurrency: 16,
};

/** Seeds a fresh database with GROUPS listed groups (in a child, with its build's migrations). */
async function seed(location: string): Promise<Run> {
  const db: Db = await openDatabase(location);
  try {
    return await timed(async () => {
      await applySync(db, {
        sourceId: "wiki",
        sourceUrl: "bench",
        etag: null,
        lastModified: null,
        now: new Date().toISOString(),
        upserts: groups(),
      });
      return { checked: 0, transitions: 0 };
    });
  } finally {
    await db.destroy();
  }
}

/** One scan of the seeded database, timed (in a child), through the use case `poick scan` and the bot run. */
async function scanOnce(location: string, n: number): Promise<Run> {
  const db: Db = await openDatabase(location);
  try {
    const jobs = createJobs({
      db,
      clock: systemClock,
      logger: silentLogger,
      scan: { prober: memoryProber({ n }), settings, sleep: async () => {} },
      http: {
        get: async () => {
          throw new Error("the bench reads no listing");
        },
      },
      wikiUrl: "bench",
    });
    return await timed(async (tick) => {
      const o = await jobs.scanAll(tick);
      if (o.kind !== "done") throw new Error(`scan: ${o.kind}`);
      // transitionCount: the outcome lists the first 200 changes only (older code listed them all).
      const count = (o as { transitionCount?: number }).transitionCount ?? o.transitions.length;
      return { checked: o.checked, transitions: count };
    });
  } finally {
    await db.destroy();
  }
}

/** The peer: the same judgements with no database (the prober and the classifier alone). */
async function judgeOnly(): Promise<Run> {
  const round = { n: 0 };
  const deps = { prober: memoryProber(round), clock: systemClock, settings };
  const all = groups();
  return timed(async (tick) => {
    let next = 0;
    const worker = async () => {
      while (next < all.length) {
        const g = all[next++] as SyncUpsert;
        await judgeGroup(deps, { url: g.url, name: g.name, channels: [] });
        tick();
      }
    };
    await Promise.all(Array.from({ length: settings.concurrency }, worker));
    return { checked: all.length, transitions: 0 };
  });
}

if (values.child !== undefined) {
  const at = values.db as string;
  const run =
    values.child === "peer"
      ? await judgeOnly()
      : values.child === "seed"
        ? await seed(at)
        : await scanOnce(at, Number(values.round));
  console.log(JSON.stringify(run));
  process.exit(0);
}

const builds: Build[] = [
  { label: "now", file: import.meta.filename, cwd: resolvePath(import.meta.dirname, "..") },
];
if (values.before) {
  const cwd = resolvePath(values.before);
  const file = join(cwd, "bench", "scan-bookkeeping.bench.ts");
  if (!existsSync(file)) throw new Error(`${file} is missing: copy this file there first`);
  builds.unshift({ label: "before", file, cwd });
}
const label = (b: Build) => (builds.length > 1 ? ` (${b.label})` : "");
const say = (s: string) => process.stderr.write(`${s} — load ${(loadavg()[0] as number).toFixed(2)}\n`);

const load0 = loadavg()[0] as number;
const peers = new Map<Build, Run[]>(builds.map((b) => [b, []]));
const runPeers = async () => {
  if (!ONLY.has("peer")) return;
  for (const b of builds) {
    say(`peer${label(b)}…`);
    peers.get(b)?.push(await inChild(b, ["--child", "peer"]));
  }
};

/** Each build seeds its own database, then the builds take turns, scan by scan. */
async function engine(
  name: string,
  locations: string[],
): Promise<{ name: string; scans: Map<Build, Run[]> }> {
  const scans = new Map<Build, Run[]>(builds.map((b) => [b, []]));
  for (const [i, b] of builds.entries()) {
    say(`${name}${label(b)}: seeding ${GROUPS.toLocaleString("en")} groups…`);
    await inChild(b, ["--child", "seed", "--db", locations[i] as string]);
  }
  for (const round of [0, 1, 2]) {
    for (const [i, b] of builds.entries()) {
      say(`${name}${label(b)}: ${SCANS[round]} scan…`);
      scans
        .get(b)
        ?.push(
          await inChild(b, ["--child", "scan", "--db", locations[i] as string, "--round", String(round)]),
        );
    }
  }
  return { name, scans };
}

/** Runs `fn` with one fresh PostgreSQL database per build. */
function scratchDatabases<T>(
  server: string,
  n: number,
  fn: (urls: string[]) => Promise<T>,
  urls: string[] = [],
): Promise<T> {
  if (urls.length === n) return fn(urls);
  return withScratchDatabase(server, `poick_bench_scan_${urls.length}`, (url) =>
    scratchDatabases(server, n, fn, [...urls, url]),
  );
}

await runPeers();
const results: { name: string; scans: Map<Build, Run[]> }[] = [];
if (ONLY.has("sqlite")) {
  const dir = mkdtempSync(join(tmpdir(), "poick-bench-scan-bk-"));
  try {
    results.push(
      await engine(
        "SQLite",
        builds.map((b) => join(dir, `${b.label}.db`)),
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const server = process.env.DATABASE_URL;
if (server && ONLY.has("postgres")) {
  results.push(await scratchDatabases(server, builds.length, (urls) => engine("PostgreSQL", urls)));
} else if (ONLY.has("postgres")) {
  process.stderr.write("DATABASE_URL not set: PostgreSQL skipped (see the header of this file).\n");
}
await runPeers();

const f = (n: number) => n.toFixed(n < 10 ? 2 : 1);
const us = (s: number) => `${((s * 1e6) / GROUPS).toFixed(0)} µs`;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
};
/** Per group: median / p99 over the hundredths, in µs. */
const perGroup = (r: Run) =>
  r.slicesMs.length === 0
    ? "–"
    : `${((quantile(r.slicesMs, 0.5) * 1000) / STEP).toFixed(0)} / ${((quantile(r.slicesMs, 0.99) * 1000) / STEP).toFixed(0)} µs`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const peerOf = (b: Build) => {
  const p = peers.get(b) ?? [];
  return p.length ? { wallS: mean(p.map((x) => x.wallS)), cpuS: mean(p.map((x) => x.cpuS)) } : null;
};
const load = (r: Run) => `${r.loadStart.toFixed(1)} → ${r.loadEnd.toFixed(1)}`;

console.log(
  `\nScan bookkeeping, ${GROUPS.toLocaleString("en")} groups, prober answering from memory, concurrency ${settings.concurrency}, Node ${process.versions.node}${values["heap-mib"] ? `, --max-old-space-size=${values["heap-mib"]}` : ""}, load average ${load0.toFixed(1)} → ${(loadavg()[0] as number).toFixed(1)}`,
);
console.log(
  `Per group: median / p99 over slices of ${STEP.toLocaleString("en")} checks; bookkeeping: wall − the peer's (the mean of its runs before and after), per group in brackets.\n`,
);
const engines = results.map((r) => r.name);
const cols = ["wall", "per group", "CPU", "bookkeeping", "RSS peak", "load"];
console.log(
  `| scan |${builds.length > 1 ? " build |" : ""} ${engines.flatMap((e) => cols.map((c) => `${e}: ${c}`)).join(" | ")} |`,
);
console.log(
  `| --- |${builds.length > 1 ? " --- |" : ""}${engines.flatMap(() => cols.map(() => " --: |")).join("")}`,
);
for (const [i, scan] of SCANS.entries()) {
  for (const b of builds) {
    const p = peerOf(b);
    const cells = results.flatMap((r) => {
      const x = r.scans.get(b)?.[i] as Run;
      return [
        `${f(x.wallS)} s`,
        perGroup(x),
        `${f(x.cpuS)} s`,
        p ? `${f(x.wallS - p.wallS)} s (${us(x.wallS - p.wallS)})` : "–",
        `${x.rssPeakMiB.toFixed(0)} MiB`,
        load(x),
      ];
    });
    console.log(`| ${scan} |${builds.length > 1 ? ` ${b.label} |` : ""} ${cells.join(" | ")} |`);
  }
}

console.log(
  "\n| build | database | scan | wall | per group | CPU | bookkeeping: wall − peer | CPU − peer's | checks | transitions | RSS at start | RSS peak | load |",
);
console.log("| --- | --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |");
for (const b of builds) {
  const p = peerOf(b);
  const minus = (a: number, c: number) => `${f(a - c)} s (${us(a - c)})`;
  for (const r of results) {
    for (const [i, x] of (r.scans.get(b) ?? []).entries()) {
      console.log(
        `| ${b.label} | ${r.name} | ${SCANS[i]} | ${f(x.wallS)} s | ${perGroup(x)} | ${f(x.cpuS)} s | ${p ? minus(x.wallS, p.wallS) : "–"} | ${p ? minus(x.cpuS, p.cpuS) : "–"} | ${x.checked} | ${x.transitions} | ${f(x.rssStartMiB)} MiB | ${f(x.rssPeakMiB)} MiB | ${load(x)} |`,
      );
    }
  }
  for (const [i, x] of (peers.get(b) ?? []).entries()) {
    console.log(
      `| ${b.label} | peer: judge only, no database | ${i === 0 ? "ahead of the scans" : "after the scans"} | ${f(x.wallS)} s | ${perGroup(x)} | ${f(x.cpuS)} s | — | — | ${x.checked} | — | ${f(x.rssStartMiB)} MiB | ${f(x.rssPeakMiB)} MiB | ${load(x)} |`,
    );
  }
}
if (values.live) {
  console.log("\nLive heap after a full GC, at each tenth of the probes (MiB):");
  for (const b of builds) {
    for (const r of results)
      for (const [i, x] of (r.scans.get(b) ?? []).entries())
        console.log(`- ${b.label} ${r.name} ${SCANS[i]}: max ${x.liveMaxMiB} — ${x.liveMiB?.join(" ")}`);
    for (const x of peers.get(b) ?? [])
      console.log(`- ${b.label} peer: max ${x.liveMaxMiB} — ${x.liveMiB?.join(" ")}`);
  }
}
