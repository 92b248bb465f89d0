/**
 * Sync of the real 2026 LocalUserGroups page (Sphinx HTML and MyST Markdown, ~350 groups) once the gazetteer
 * exists: median and p99 (target: median under 200 ms), with the peer "read only" (reader + outline step, no
 * geocoding or database) measured side by side.
 * Run: npx tsx bench/sync-2026.bench.ts [--runs 21]
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
import { readListing } from "../src/sources/read-listing.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "21" } } });
const RUNS = Number(values.runs);
const FIX = join(import.meta.dirname, "../test/fixtures/wiki-2026");
const FILES = { html: join(FIX, "LocalUserGroups.html"), md: join(FIX, "LocalUserGroups.md") };

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] as number;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;

const dir = mkdtempSync(join(tmpdir(), "poick-bench-sync26-"));
try {
  const base = join(dir, "base.db");
  const db0 = await openDatabase(base);
  await ensureGazetteer(db0);
  await db0.destroy();

  const rows: string[] = [];
  for (const [kind, file] of Object.entries(FILES)) {
    const first: number[] = [];
    const again: number[] = [];
    const readOnly: number[] = [];
    let found = 0;
    const text = readFileSync(file, "utf8");
    for (let i = 0; i < RUNS; i++) {
      const path = join(dir, `run-${kind}-${i}.db`);
      copyFileSync(base, path);
      const db = await openDatabase(path);
      const deps = { db, clock: systemClock, logger: silentLogger, userAgent: "bench" };
      await ensureGazetteer(db);
      let t = performance.now();
      const out = await syncGroups(deps, { source: file });
      first.push(performance.now() - t);
      if (out.kind !== "synced") throw new Error(`sync: ${out.kind}`);
      found = out.found;
      t = performance.now();
      await syncGroups(deps, { source: file });
      again.push(performance.now() - t);
      await db.destroy();
      rmSync(path, { force: true });
      t = performance.now();
      readListing({ body: text });
      readOnly.push(performance.now() - t);
    }
    rows.push(
      `| first sync, ${kind} (${found} groups: read, geocode, insert) | ${ms(pct(first, 0.5))} | ${ms(pct(first, 0.99))} | ${(pct(first, 0.5) / pct(readOnly, 0.5)).toFixed(1)}× |`,
      `| re-sync, ${kind} (read, geocode, update) | ${ms(pct(again, 0.5))} | ${ms(pct(again, 0.99))} | ${(pct(again, 0.5) / pct(readOnly, 0.5)).toFixed(1)}× |`,
      `| peer: read the ${kind} only (reader + outline) | ${ms(pct(readOnly, 0.5))} | ${ms(pct(readOnly, 0.99))} | 1.0× |`,
    );
  }
  console.log(`| what (${RUNS} runs) | median | p99 | vs read-only peer |`);
  console.log("| --- | --- | --- | --- |");
  for (const r of rows) console.log(r);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
