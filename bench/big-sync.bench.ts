/**
 * `poick sync --source FILE` at 100,000 groups, checked from outside as an operator would: the built CLI
 * (`node dist/cli.js`, so run `npm run build` first) in its own process under /usr/bin/time, against a
 * database that holds only the gazetteer (built beforehand, not timed). Targets (issue 13): the sync
 * succeeds, takes under 10 s, peak RSS under 300 MB. Then a re-sync of the same file (nothing changed).
 * Both listings of bench/big-listing.ts (MyST Markdown and MoinMoin markup, ~9 MB each).
 * Run: npm run build && npx tsx bench/big-sync.bench.ts [--groups 100000] [--runs 1]
 * PostgreSQL too: scripts/with-postgres.sh npx tsx bench/big-sync.bench.ts
 * Two builds side by side, run alternately: --cli before=/path/to/old/dist/cli.js,after=dist/cli.js
 * (an old build is `git worktree add --detach DIR COMMIT`, node_modules linked in, `npx tsc -p tsconfig.build.json`).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { openDatabase } from "../src/db/connect.js";
import { ensureGazetteer } from "../src/db/gazetteer.js";
import { bigListing } from "./big-listing.js";

const { values } = parseArgs({
  options: {
    groups: { type: "string", default: "100000" },
    runs: { type: "string", default: "1" },
    seed: { type: "string", default: "13" },
    formats: { type: "string", default: "md,moin" },
    cli: { type: "string", default: `this=${join(import.meta.dirname, "../dist/cli.js")}` },
  },
});
const GROUPS = Number(values.groups);
const RUNS = Number(values.runs);
/** The builds to run, by label: each run goes through all of them in turn, so load falls on all alike. */
const BUILDS = (values.cli as string).split(",").map((spec) => {
  const eq = spec.indexOf("=");
  const [label, path] = eq < 0 ? [spec, spec] : [spec.slice(0, eq), spec.slice(eq + 1)];
  const cli = resolve(path);
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  return { label, cli };
});

interface Run {
  wallS: number;
  cpuS: number;
  rssMiB: number;
  summary: string;
  load: number;
}

/** One CLI process under GNU time: wall clock, user + system CPU, peak RSS. */
function cliSync(cli: string, file: string, env: Record<string, string>): Run {
  const load = loadavg()[0] as number;
  const r = spawnSync("/usr/bin/time", ["-v", process.execPath, cli, "sync", "--source", file], {
    encoding: "utf8",
    env: { ...process.env, POICK_LOG_LEVEL: "warn", ...env },
  });
  const num = (label: string) => {
    const m = new RegExp(`${label}.*: ([\\d.:]+)$`, "m").exec(r.stderr);
    if (!m) throw new Error(`no "${label}" in:\n${r.stderr}`);
    return m[1] as string;
  };
  if (r.status !== 0) throw new Error(`sync failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const wall = num("Elapsed \\(wall clock\\) time")
    .split(":")
    .reduce((acc, x) => acc * 60 + Number(x), 0);
  return {
    wallS: wall,
    cpuS: Number(num("User time")) + Number(num("System time")),
    rssMiB: Number(num("Maximum resident set size")) / 1024,
    summary: r.stdout.trim().split("\n").at(-1) ?? "",
    load,
  };
}

const dir = mkdtempSync(join(tmpdir(), "poick-bench-big-sync-"));
const rows: string[] = [];
const f1 = (n: number) => n.toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function record(engine: string, build: string, what: string, runs: Run[]) {
  rows.push(
    `| ${engine} | ${build} | ${what} | ${f1(median(runs.map((r) => r.wallS)))} s | ${f1(median(runs.map((r) => r.cpuS)))} s | ${Math.round(median(runs.map((r) => r.rssMiB)))} MiB | ${Math.round(Math.max(...runs.map((r) => r.rssMiB)))} MiB | ${runs.map((r) => r.load.toFixed(1)).join(", ")} |`,
  );
  process.stderr.write(`${rows.at(-1)}\n  ${runs.at(-1)?.summary}\n`);
}

/** Runs of one format for every build, the builds taking turns; `fresh` gives each run its database. */
async function runAll(
  engine: string,
  fmt: string,
  file: string,
  fresh: (build: string, i: number) => Promise<{ env: Record<string, string>; done: () => Promise<void> }>,
) {
  const first = new Map(BUILDS.map((b) => [b.label, [] as Run[]]));
  const again = new Map(BUILDS.map((b) => [b.label, [] as Run[]]));
  for (let i = 0; i < RUNS; i++) {
    for (const b of BUILDS) {
      const { env, done } = await fresh(b.label, i);
      first.get(b.label)?.push(cliSync(b.cli, file, env));
      again.get(b.label)?.push(cliSync(b.cli, file, env));
      await done();
    }
  }
  for (const b of BUILDS) {
    record(engine, b.label, `first sync, ${fmt}`, first.get(b.label) ?? []);
    record(engine, b.label, `re-sync, ${fmt}`, again.get(b.label) ?? []);
  }
}

try {
  const listing = bigListing(GROUPS, Number(values.seed));
  const files: Record<string, string> = { md: join(dir, "big.md"), moin: join(dir, "big.moin") };
  writeFileSync(files.md as string, listing.myst);
  writeFileSync(files.moin as string, listing.moin);
  const formats = (values.formats as string).split(",");

  // SQLite: the gazetteer built once, copied for every run.
  const base = join(dir, "base.db");
  const db0 = await openDatabase(base);
  await ensureGazetteer(db0);
  await db0.destroy();
  for (const fmt of formats) {
    await runAll("SQLite", fmt, files[fmt] as string, async (build, i) => {
      const path = join(dir, `run-${fmt}-${build}-${i}.db`);
      copyFileSync(base, path);
      return {
        env: { POICK_DB: path },
        done: async () => {
          for (const ext of ["", "-wal", "-shm"]) rmSync(path + ext, { force: true });
        },
      };
    });
  }

  const server = process.env.DATABASE_URL;
  if (server) {
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    const url = (name: string) => {
      const u = new URL(server);
      u.pathname = `/${name}`;
      return u.toString();
    };
    // The gazetteer built once in a template database; every run starts from a copy of it.
    await admin.query("drop database if exists poick_bench_big_base with (force)");
    await admin.query("create database poick_bench_big_base");
    const pg0 = await openDatabase(url("poick_bench_big_base"));
    await ensureGazetteer(pg0);
    await pg0.destroy();
    try {
      for (const fmt of formats) {
        await runAll("PostgreSQL", fmt, files[fmt] as string, async () => {
          await admin.query("drop database if exists poick_bench_big with (force)");
          await admin.query("create database poick_bench_big template poick_bench_big_base");
          return { env: { DATABASE_URL: url("poick_bench_big") }, done: async () => {} };
        });
      }
    } finally {
      await admin.query("drop database if exists poick_bench_big with (force)");
      await admin.query("drop database if exists poick_bench_big_base with (force)");
      await admin.end();
    }
  } else {
    process.stderr.write("DATABASE_URL not set: PostgreSQL skipped (see the header of this file).\n");
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `\n\`poick sync --source FILE\`, ${GROUPS.toLocaleString("en")} groups, Node ${process.versions.node}, ${RUNS} run(s) each, median\n`,
);
console.log(
  "| database | build | what | wall | CPU (user + sys) | peak RSS | worst peak RSS | load average at each start |",
);
console.log("| --- | --- | --- | --: | --: | --: | --: | --- |");
for (const r of rows) console.log(r);
