/** Runs every benchmark in turn (each in its own process) and prints their tables. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const benches = [
  "sync",
  "sync-2026",
  "big-sync",
  "geo",
  "near",
  "scan",
  "scan-bookkeeping",
  "discord",
  "fanout",
  "classify",
];
const only = process.argv.slice(2);
for (const name of only.length ? only : benches) {
  console.log(`\n## ${name}\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, `${name}.bench.ts`)], {
    stdio: "inherit",
  });
  if (r.status !== 0) {
    console.error(`${name} bench failed (exit ${r.status})`);
    process.exitCode = 1;
  }
}
