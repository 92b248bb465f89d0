// Map render time at 100,000 groups (world, country, near a place), atlas resolution choice, and
// report generation for a whole database. Run: npx tsx bench/map.bench.ts [--maps-only]
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openDatabase } from "../src/db/connect.js";
import { applySync } from "../src/db/groups.js";
import type { Status } from "../src/db/schema.js";
import { buildReport } from "../src/jobs/report.js";
import { atlas } from "../src/present/map/atlas.js";
import { type MapGroup, type MapView, renderMap } from "../src/present/map/render.js";
import { reportCsv, reportMarkdown } from "../src/present/report.js";
import { realCities } from "../test/helpers/cities.js";

const GROUPS = 100_000;
const RUNS = 30;
const STATUSES: Status[] = ["alive", "dormant", "dead", "unknown"];

function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] as number;
const ms = (n: number) => `${n.toFixed(0)} ms`;

// Synthetic groups in real cities, weighted by population like real user groups.
const random = rng(12);
const cities = realCities().filter((c) => c.population >= 15_000);
const groups: MapGroup[] = Array.from({ length: GROUPS }, (_, i) => {
  const c = cities[Math.floor(random() * cities.length)]!;
  return {
    name: `Py${c.name} ${i}`,
    city: c.name,
    countryCode: c.country,
    lon: c.loc.coordinates[0],
    lat: c.loc.coordinates[1],
    status: STATUSES[Math.floor(random() * 4)]!,
  };
});

let t = performance.now();
atlas("110m");
const load110 = performance.now() - t;
t = performance.now();
atlas("50m");
const load50 = performance.now() - t;
console.log(`Atlas parse (once per process): 110m ${ms(load110)}, 50m ${ms(load50)}\n`);

const views: [string, MapView][] = [
  ["world", { kind: "world" }],
  ["continent (Europe)", { kind: "continent", continent: "Europe" }],
  ["country (Poland)", { kind: "country", code: "PL" }],
  ["country (United States)", { kind: "country", code: "US" }],
  [
    "near Katowice, 100 km",
    { kind: "near", lat: 50.2584, lon: 19.0275, radiusKm: 100, placeName: "Katowice" },
  ],
];
// Wall time and this process's CPU time (user + system) per render: on the shared machine the wall
// clock mostly measures waiting for a core, the CPU time measures the work.
function measure(render: (i: number) => unknown): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c = process.cpuUsage();
    const s = performance.now();
    render(i);
    wall.push(performance.now() - s);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  return { wall, cpu };
}
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
console.log(`Load average before: ${load()}\n`);
console.log(
  `| view (${GROUPS.toLocaleString("en")} groups) | first render | median | p99 | CPU median / p99 | marks | labels | PNG size |`,
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const [name, view] of views) {
  // The first render of a view in a process builds its land paths and label outlines; later ones reuse them.
  const s = performance.now();
  let last = renderMap(groups, view, { title: name });
  const first = performance.now() - s;
  const { wall, cpu } = measure(() => {
    last = renderMap(groups, view, { title: name });
  });
  console.log(
    `| ${name} | ${ms(first)} | ${ms(q(wall, 0.5))} | ${ms(q(wall, 0.99))} | ${ms(q(cpu, 0.5))} / ${ms(q(cpu, 0.99))} | ${last.stats.marks} | ${last.stats.labels} | ${(last.png.length / 1024).toFixed(0)} KiB |`,
  );
}
// Around a different city every time: nothing of the picture is cached but the digit outlines.
const places = cities.filter((c) => c.population >= 200_000);
const placeRandom = rng(99);
const { wall, cpu } = measure(() => {
  const c = places[Math.floor(placeRandom() * places.length)]!;
  renderMap(
    groups,
    { kind: "near", lat: c.loc.coordinates[1], lon: c.loc.coordinates[0], radiusKm: 100, placeName: c.name },
    { title: `Near ${c.name}` },
  );
});
console.log(
  `| near a different city each time, 100 km | — | ${ms(q(wall, 0.5))} | ${ms(q(wall, 0.99))} | ${ms(q(cpu, 0.5))} / ${ms(q(cpu, 0.99))} | | | |`,
);
console.log(`\nLoad average after: ${load()}`);

// Report for a whole database of 100,000 groups (skip with --maps-only).
if (!process.argv.includes("--maps-only")) await benchReport();

async function benchReport(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "poick-bench-"));
  const db = await openDatabase(join(dir, "bench.db"));
  const now = "2026-11-01T00:00:00.000Z";
  await applySync(db, {
    sourceId: "wiki",
    sourceUrl: "bench",
    etag: null,
    lastModified: null,
    now,
    upserts: groups.map((g, i) => ({
      id: `g${i}`,
      name: g.name,
      url: `https://g${i}.example/`,
      normalized_url: `//g${i}.example`,
      description: null,
      continent: null,
      country_code: g.countryCode ?? null,
      country_name: g.countryCode ?? null,
      region: null,
      city: g.city ?? null,
      lat: g.lat,
      lon: g.lon,
      geo_confidence: 1,
      geo_level: "city" as const,
    })),
  });
  for (const s of STATUSES) {
    await db
      .updateTable("groups")
      .set({ status: s, reason: s === "dead" ? "http_404" : "ok", status_since: now })
      .where("id", "in", groups.flatMap((g, i) => (g.status === s ? [`g${i}`] : [])).slice(0, 30_000))
      .execute();
  }
  const reportTimes: number[] = [];
  let inactive = 0;
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    const data = await buildReport(db, new Date(now));
    reportCsv(data);
    reportMarkdown(data);
    reportTimes.push(performance.now() - s);
    inactive = data.inactive.length;
  }
  console.log(
    `\nReport (build + CSV + markdown), ${GROUPS.toLocaleString("en")} groups, ${inactive.toLocaleString("en")} dead/dormant with nearest alive: median ${ms(q(reportTimes, 0.5))}, max ${ms(Math.max(...reportTimes))} (5 runs)`,
  );
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
}
