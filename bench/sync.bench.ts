/**
 * Sync of the fixture wiki page once the gazetteer exists (target: under 1 s), side by side with
 * the peer "parse only" (the same page through cheerio and the parser, no geocoding or database).
 * Run: npx tsx bench/sync.bench.ts [--runs 15]
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../src/clock.js";
import { openDatabase } from "../src/db/connect.js";
import { ensureGazetteer } from "../src/db/gazetteer.js";
import { syncGroups } from "../src/jobs/sync.js";
import { silentLogger } from "../src/logger.js";
import { parseWikiHtml } from "../src/sources/wiki-html.js";
import { parseWikiRaw } from "../src/sources/wiki-raw.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
const RUNS = Number(values.runs);
const FIX = join(import.meta.dirname, "../test/fixtures/wiki");
const HTML = join(FIX, "LocalUserGroups.html");
const RAW = join(FIX, "LocalUserGroups.raw.txt");
const PAGE = "https://wiki.python.org/moin/LocalUserGroups";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;

const dir = mkdtempSync(join(tmpdir(), "poick-bench-sync-"));
try {
  const base = join(dir, "base.db");
  const db0 = await openDatabase(base);
  const t0 = performance.now();
  const built = await ensureGazetteer(db0);
  const buildMs = performance.now() - t0;
  await db0.destroy();

  const first: number[] = [];
  const again: number[] = [];
  const raw: number[] = [];
  const parseOnly: number[] = [];
  const htmlText = readFileSync(HTML, "utf8");
  const rawText = readFileSync(RAW, "utf8");
  for (let i = 0; i < RUNS; i++) {
    const path = join(dir, `run${i}.db`);
    copyFileSync(base, path);
    const db = await openDatabase(path);
    const deps = { db, clock: systemClock, logger: silentLogger };
    let t = performance.now();
    const out = await syncGroups(deps, { source: HTML });
    first.push(performance.now() - t);
    if (out.kind !== "synced") throw new Error(`sync: ${out.kind}`);
    t = performance.now();
    await syncGroups(deps, { source: HTML });
    again.push(performance.now() - t);
    t = performance.now();
    await syncGroups(deps, { source: RAW });
    raw.push(performance.now() - t);
    await db.destroy();
    rmSync(path, { force: true });

    t = performance.now();
    parseWikiHtml(htmlText, PAGE);
    parseOnly.push(performance.now() - t);
  }
  const rawParse: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    parseWikiRaw(rawText, PAGE);
    rawParse.push(performance.now() - t);
  }

  console.log(
    `Gazetteer build: ${(buildMs / 1000).toFixed(1)} s for ${built.cities} places (first use only).\n`,
  );
  console.log(`| what (median of ${RUNS}) | time | vs parse-only peer |`);
  console.log("| --- | --- | --- |");
  const peer = median(parseOnly);
  console.log(
    `| first sync of the fixture (46 groups: parse, geocode, insert) | ${ms(median(first))} | ${(median(first) / peer).toFixed(1)}× |`,
  );
  console.log(
    `| re-sync, same page (parse, geocode, update) | ${ms(median(again))} | ${(median(again) / peer).toFixed(1)}× |`,
  );
  console.log(`| re-sync from raw markup | ${ms(median(raw))} | ${(median(raw) / peer).toFixed(1)}× |`);
  console.log(`| peer: parse the HTML only (cheerio + parser) | ${ms(peer)} | 1.0× |`);
  console.log(
    `| peer: parse the raw markup only | ${ms(median(rawParse))} | ${(median(rawParse) / peer).toFixed(1)}× |`,
  );
  console.log(
    `\nTarget: sync under 1000 ms once the gazetteer exists — ${median(first) < 1000 ? "met" : "NOT met"}.`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
