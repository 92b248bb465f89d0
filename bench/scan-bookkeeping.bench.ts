/**
 * Scan bookkeeping at 100,000 groups, on SQLite and on PostgreSQL side by side: the scan's whole write path
 * (a check row per group, the group's state with hysteresis, events and alert rows for transitions, the scan's
 * progress for resuming) with a prober that answers at once from memory, so no time goes to the network.
 * Peer: the same 100,000 judgements (probe + classify) with no database at all; the difference is the
 * bookkeeping. Three scans: the first (every group's first check), a second (failures accumulate, some
 * groups change status) and a third (a tenth of the groups, alive at first, fail a second time and die:
 * 10,000 transitions with their events and alert hooks). Each scan (and the peer) runs in a process of its
 * own, so its peak RSS (getrusage) is its own, not what seeding the 100,000 groups (or the peer) left in the
 * heap; "RSS at start" is that process before it scans. --live adds the live heap after a full GC, ten
 * times per scan; --heap-mib N runs the scans and the peer with node --max-old-space-size=N.
 * Run: npx tsx bench/scan-bookkeeping.bench.ts [--groups 100000] [--only sqlite,peer] [--live] [--heap-mib N]
 * PostgreSQL: scripts/with-postgres.sh npx tsx bench/scan-bookkeeping.bench.ts --only postgres
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../src/clock.js";
import { type Db, openDatabase } from "../src/db/connect.js";
import { applySync, type SyncUpsert } from "../src/db/groups.js";
import { wireAlerts } from "../src/jobs/alert-hooks.js";
import { judgeGroup, type Prober, type ScanDeps, scanGroups } from "../src/jobs/scan.js";
import type { ProbeResult } from "../src/liveness/probe-types.js";
import { silentLogger } from "../src/logger.js";
import { withScratchDatabase } from "./pg-scratch.js";

const { values } = parseArgs({
  options: {
    groups: { type: "string", default: "100000" },
    // Which engines (and the peer) to run: "sqlite,postgres,peer" by default.
    only: { type: "string", default: "sqlite,postgres,peer" },
    // Internal: run one scan (--child DB --round N) or the peer (--child peer) and print its figures as JSON.
    child: { type: "string" },
    // Also take the live heap (heapUsed right after a full GC) ten times per scan: what the scan keeps,
    // without V8's slack. The GCs cost time, so the timed columns are best read from a run without it.
    live: { type: "boolean", default: false },
    // Caps the old space of the scan and peer processes (node --max-old-space-size): how much of the peak
    // RSS is V8 letting its heap grow before it collects, rather than what the scan keeps.
    "heap-mib": { type: "string" },
    round: { type: "string", default: "0" },
  },
});
const ONLY = new Set((values.only as string).split(","));
const GROUPS = Number(values.groups);
const SCANS = ["first", "second", "third"];

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

async function timed(fn: () => Promise<{ checked: number; transitions: number }>): Promise<Run> {
  const rssStart = process.memoryUsage().rss;
  const t = performance.now();
  const c = process.cpuUsage();
  const r = await fn();
  const dc = process.cpuUsage(c);
  return {
    wallS: (performance.now() - t) / 1000,
    cpuS: (dc.user + dc.system) / 1e6,
    rssStartMiB: rssStart / 1048576,
    // The process's peak (getrusage): a sampler on a timer would not run while the scan keeps the loop busy.
    rssPeakMiB: process.resourceUsage().maxRSS / 1024,
    ...(values.live && { liveMaxMiB: Math.max(0, ...live), liveMiB: live }),
    ...r,
  };
}

/** Runs this file again with `args` in a fresh process and reads the Run it prints. */
function inChild(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...(values.live ? ["--expose-gc"] : []),
        ...(values["heap-mib"] ? [`--max-old-space-size=${values["heap-mib"]}`] : []),
        "--import",
        import.meta.resolve("tsx"),
        import.meta.filename,
        ...args,
        ...(values.live ? ["--live"] : []),
      ],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`child ${args.join(" ")} exited with ${code}`));
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

/** Seeds the database with GROUPS listed groups (in this process), then runs each scan in a process of its own. */
async function engine(label: string, location: string): Promise<{ label: string; scans: Run[] }> {
  const db: Db = await openDatabase(location);
  try {
    process.stderr.write(`${label}: ${GROUPS.toLocaleString("en")} groups…\n`);
    await applySync(db, {
      sourceId: "wiki",
      sourceUrl: "bench",
      etag: null,
      lastModified: null,
      now: new Date().toISOString(),
      upserts: groups(),
    });
  } finally {
    await db.destroy();
  }
  const scans: Run[] = [];
  for (const round of [0, 1, 2]) {
    process.stderr.write(`${label}: ${SCANS[round]} scan…\n`);
    scans.push(await inChild(["--groups", String(GROUPS), "--child", location, "--round", String(round)]));
  }
  return { label, scans };
}

/** One scan of the seeded database, timed (in a child process). */
async function scanOnce(location: string, n: number): Promise<Run> {
  const db: Db = await openDatabase(location);
  try {
    const hooks = wireAlerts(systemClock);
    const deps: ScanDeps = {
      db,
      clock: systemClock,
      logger: silentLogger,
      prober: memoryProber({ n }),
      settings,
      onTransition: hooks.onTransition,
      sleep: async () => {},
    };
    return await timed(async () => {
      const o = await scanGroups(deps);
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
  return timed(async () => {
    let next = 0;
    const worker = async () => {
      while (next < all.length) {
        const g = all[next++] as SyncUpsert;
        await judgeGroup(deps, { url: g.url, name: g.name, channels: [] });
      }
    };
    await Promise.all(Array.from({ length: settings.concurrency }, worker));
    return { checked: all.length, transitions: 0 };
  });
}

if (values.child !== undefined) {
  const run =
    values.child === "peer" ? await judgeOnly() : await scanOnce(values.child, Number(values.round));
  console.log(JSON.stringify(run));
  process.exit(0);
}

const load0 = loadavg()[0] as number;
const results: { label: string; scans: Run[] }[] = [];
const peer = ONLY.has("peer") ? await inChild(["--groups", String(GROUPS), "--child", "peer"]) : null;
if (ONLY.has("sqlite")) {
  const dir = mkdtempSync(join(tmpdir(), "poick-bench-scan-bk-"));
  try {
    results.push(await engine("SQLite", join(dir, "poick.db")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const server = process.env.DATABASE_URL;
if (server && ONLY.has("postgres")) {
  results.push(await withScratchDatabase(server, "poick_bench_scan", (url) => engine("PostgreSQL", url)));
} else if (ONLY.has("postgres")) {
  process.stderr.write("DATABASE_URL not set: PostgreSQL skipped (see the header of this file).\n");
}

const f = (n: number) => n.toFixed(n < 10 ? 2 : 1);
const us = (s: number) => `${((s * 1e6) / GROUPS).toFixed(0)} µs`;
console.log(
  `\nScan bookkeeping, ${GROUPS.toLocaleString("en")} groups, prober answering from memory, concurrency ${settings.concurrency}, Node ${process.versions.node}${values["heap-mib"] ? `, --max-old-space-size=${values["heap-mib"]}` : ""}, load average ${load0.toFixed(1)} → ${(loadavg()[0] as number).toFixed(1)}\n`,
);
const minus = (a: number, b: number) => `${f(a - b)} s (${us(a - b)})`;
console.log(
  "| database | scan | wall | per group | CPU | bookkeeping: wall − peer | CPU − peer's | checks | transitions | RSS at start | RSS peak |",
);
console.log("| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |");
for (const r of results) {
  for (const [i, x] of r.scans.entries()) {
    console.log(
      `| ${r.label} | ${SCANS[i]} | ${f(x.wallS)} s | ${us(x.wallS)} | ${f(x.cpuS)} s | ${peer ? minus(x.wallS, peer.wallS) : "–"} | ${peer ? minus(x.cpuS, peer.cpuS) : "–"} | ${x.checked} | ${x.transitions} | ${f(x.rssStartMiB)} MiB | ${f(x.rssPeakMiB)} MiB |`,
    );
  }
}
if (peer)
  console.log(
    `| peer: judge only, no database | — | ${f(peer.wallS)} s | ${us(peer.wallS)} | ${f(peer.cpuS)} s | — | — | ${peer.checked} | — | ${f(peer.rssStartMiB)} MiB | ${f(peer.rssPeakMiB)} MiB |`,
  );
if (values.live) {
  console.log("\nLive heap after a full GC, at each tenth of the probes (MiB):");
  for (const r of results)
    for (const [i, x] of r.scans.entries())
      console.log(`- ${r.label} ${SCANS[i]}: max ${x.liveMaxMiB} — ${x.liveMiB?.join(" ")}`);
  if (peer) console.log(`- peer: max ${peer.liveMaxMiB} — ${peer.liveMiB?.join(" ")}`);
}
