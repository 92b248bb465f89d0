// Classification time per page on the labelled corpus (test/fixtures/pages/corpus.json).
// Run: npx tsx bench/classify.bench.ts
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { extractActivity } from "../src/liveness/activity.js";
import { classify } from "../src/liveness/classify.js";
import type { ProbeResult } from "../src/liveness/probe-types.js";

const ROUNDS = 15;
const base = new URL("../test/fixtures/pages/", import.meta.url);
const corpus = JSON.parse(readFileSync(new URL("corpus.json", base), "utf8")) as {
  now: string;
  pages: { file: string; group: { name: string; url: string }; finalUrl?: string }[];
};
const now = new Date(corpus.now);

const probeOf = (url: string, finalUrl: string, body: string): ProbeResult => ({
  url,
  finalUrl,
  status: 200,
  headers: { "content-type": "text/html; charset=utf-8" },
  hops: [{ url: finalUrl, status: 200, location: null, ms: 1 }],
  body,
  truncated: false,
  contentType: "text/html; charset=utf-8",
  error: null,
  attempts: 1,
  timings: { totalMs: 1, ttfbMs: 1 },
});

const pages = corpus.pages.map((p) => {
  const body = readFileSync(new URL(p.file, base), "utf8");
  return { ...p, body, probe: probeOf(p.group.url, p.finalUrl ?? p.group.url, body) };
});

const median = (xs: number[]) => percentile(xs, 50);
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

function run(withActivity: boolean): number[] {
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of pages) {
      const t0 = performance.now();
      const activity = withActivity
        ? extractActivity({
            body: p.body,
            contentType: p.probe.contentType,
            url: p.probe.finalUrl ?? p.group.url,
            now,
          })
        : null;
      classify({
        groupUrl: p.group.url,
        group: p.group,
        probe: p.probe,
        activity,
        now,
        dormantAfterDays: 365,
      });
      times.push(performance.now() - t0);
    }
  }
  return times;
}

run(true); // warm-up: regexes compiled, chrono loaded, JIT settled
const classifyOnly = run(false);
const withDates = run(true);
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
console.log(`${pages.length} pages × ${ROUNDS} rounds, Node ${process.version}\n`);
console.log("| what | median | p99 | max |");
console.log("| --- | --- | --- | --- |");
for (const [what, xs] of [
  ["classify (read page, identity, takeover marks)", classifyOnly],
  ["dates (JSON-LD, <time>, chrono text dates) + classify", withDates],
] as const) {
  console.log(`| ${what} | ${fmt(median(xs))} | ${fmt(percentile(xs, 99))} | ${fmt(Math.max(...xs))} |`);
}
if (median(classifyOnly) >= 5) {
  console.error("classification median is over the 5 ms budget");
  process.exitCode = 1;
}
