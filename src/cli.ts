#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CLI_SCAN, runInfo, runScan } from "./cli-scan.js";
import { type Clock, systemClock } from "./clock.js";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { type Db, openDatabase } from "./db/connect.js";
import { listActiveGroups } from "./db/groups.js";
import type { GroupRow } from "./db/schema.js";
import { findNear } from "./jobs/near.js";
import { groupStats } from "./jobs/stats.js";
import { syncGroups } from "./jobs/sync.js";
import { createLogger, type Logger } from "./logger.js";
import { groupJson, renderGroupTable } from "./present/groups.js";
import { formatKm, percent, STATUS_EMOJI, STATUSES, table } from "./present/text.js";

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env?: Record<string, string | undefined>;
  clock?: Clock;
  isTTY?: boolean;
}

export class UsageError extends Error {
  override name = "UsageError";
}

const MAIN_HELP = `poick — finds the Python user groups that are still alive.

Usage: poick <command> [options]

Commands:
  sync [--source URL|PATH]     refresh the group list from the Python wiki (or a saved copy)
  scan [--group ID|NAME]       check every group's website and judge it alive, dormant, dead or unknown
  list [--status S]            every group with its place and status
  near <place> [--radius KM]   groups near a place, nearest first
  info <group>                 one group's verdict, evidence and check history
  stats [--country C | --continent C]   how many groups are alive, like the study's 59 / 324
  register                     register the Discord slash commands

Options for every command:
  --json      machine-readable output
  --help      help for a command

Settings come from the environment or a .env file (POICK_DB, default ./data/poick.db).
See the README for all of them.`;

export const HELP: Record<string, string> = {
  sync: `Usage: poick sync [--source URL|PATH] [--force] [--json]

Reads the list of local user groups (default: https://wiki.python.org/moin/LocalUserGroups),
places every group on the map and updates the database. Groups that left the list are marked
removed, never deleted. If the page looks broken (fewer than half the groups of the last sync),
nothing is changed and the command exits with status 3.

  --source URL|PATH   another URL, a ?action=raw URL, or a saved HTML/markup file (works offline)
  --force             fetch even if the wiki says the page is unchanged`,
  list: `Usage: poick list [--status alive|dormant|dead|unknown] [--json]

Lists every group in the database with its place and status.`,
  near: `Usage: poick near <place> [--radius KM] [--json]

Groups near a place, nearest first, with their distance. Always names the nearest group,
even beyond the radius. Examples:
  poick near Katowice
  poick near "Portland, Maine" --radius 200

  --radius KM   search radius in kilometres, 1 to 20000 (default 100)`,
  stats: `Usage: poick stats [--country NAME|CODE] [--continent NAME] [--json]

Counts groups by status and the share that is alive.`,
  ...CLI_SCAN,
};

export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(args: string[], options: OptionSpec): Parsed {
  try {
    const r = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" }, json: { type: "boolean" } },
      allowPositionals: true,
      strict: true,
    });
    return { values: r.values as Parsed["values"], positionals: r.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

interface Ctx {
  config: Readonly<Config>;
  io: CliIo;
  clock: Clock;
  logger: Logger;
  db: () => Promise<Db>;
}

const print = (ctx: Ctx, value: unknown) => ctx.io.stdout(`${JSON.stringify(value, null, 2)}\n`);

async function cmdSync(ctx: Ctx, args: string[]): Promise<number> {
  const { values } = parse(args, { source: { type: "string" }, force: { type: "boolean" } });
  const source = (values.source as string | undefined) ?? ctx.config.wikiUrl;
  if (!values.json) ctx.io.stderr(`Syncing from ${source} …\n`);
  const outcome = await syncGroups(
    { db: await ctx.db(), clock: ctx.clock, logger: ctx.logger, userAgent: ctx.config.userAgent },
    { source, force: Boolean(values.force) },
  );
  if (values.json) print(ctx, outcome);
  switch (outcome.kind) {
    case "synced":
      if (!values.json) {
        ctx.io.stdout(
          `Found ${outcome.found} groups (${outcome.placed} placed on a city): ${outcome.added.length} new, ` +
            `${outcome.updated} updated, ${outcome.removed.length} no longer listed` +
            (outcome.restored.length ? `, ${outcome.restored.length} listed again` : "") +
            ".\n",
        );
      }
      return 0;
    case "unchanged":
      if (!values.json)
        ctx.io.stdout(
          `The page has not changed since the last sync (${outcome.previous} groups). Nothing to do.\n`,
        );
      return 0;
    case "refused":
      ctx.io.stderr(`Sync refused: ${outcome.message}\n`);
      return 3;
    case "failed":
      ctx.io.stderr(`Sync failed: ${outcome.message}\n`);
      return 1;
  }
}

async function cmdList(ctx: Ctx, args: string[]): Promise<number> {
  const { values } = parse(args, { status: { type: "string" } });
  const status = values.status as string | undefined;
  if (status !== undefined && !STATUSES.includes(status as never)) {
    throw new UsageError(`--status must be one of ${STATUSES.join(", ")}.`);
  }
  const groups = await listActiveGroups(
    await ctx.db(),
    status ? { status: status as GroupRow["status"] } : {},
  );
  if (values.json) {
    print(ctx, groups.map(groupJson));
    return 0;
  }
  if (groups.length === 0) {
    ctx.io.stdout("No groups yet. Run `poick sync` to read the wiki.\n");
    return 0;
  }
  ctx.io.stdout(`${renderGroupTable(groups)}\n${groups.length} groups.\n`);
  return 0;
}

function parseRadius(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const s = String(raw).trim();
  const km = Number(s.replace(/\s*km$/i, ""));
  if (!s || !Number.isFinite(km) || km < 1 || km > 20_000) {
    throw new UsageError(`--radius must be a number of kilometres between 1 and 20000, got "${s}".`);
  }
  return km;
}

async function cmdNear(ctx: Ctx, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { radius: { type: "string", short: "r" } });
  const query = positionals.join(" ").trim();
  if (!query) throw new UsageError("Say where: poick near <place>, for example poick near Katowice.");
  const radiusKm = parseRadius(values.radius);
  const res = await findNear(await ctx.db(), query, { radiusKm });
  if (res.kind !== "found") {
    const sugg = res.suggestions.map((p) => p.label);
    if (values.json) print(ctx, { error: res.kind, query, suggestions: sugg });
    const msg =
      res.kind === "ambiguous"
        ? `"${query}" could mean several places. Add a region or country, for example:`
        : `I couldn't find a place called "${query}".${sugg.length ? " Did you mean:" : " Check the spelling, or add the country."}`;
    ctx.io.stderr(`${msg}\n${sugg.map((s) => `  ${s}`).join("\n")}${sugg.length ? "\n" : ""}`);
    return 2;
  }
  const rows = res.groups.length ? res.groups : res.nearest ? [res.nearest] : [];
  if (values.json) {
    print(
      ctx,
      rows.map((r) => ({ ...groupJson(r.group), distance_km: Math.round(r.distanceKm * 10) / 10 })),
    );
    return 0;
  }
  const out: string[] = [`Groups within ${formatKm(res.radiusKm)} of ${res.place.label}:`];
  if (res.groups.length === 0) out.push("  none.");
  else
    out.push(
      table(
        ["", "distance", "group", "where", "status", "url"],
        res.groups.map((r) => [
          STATUS_EMOJI[r.group.status],
          formatKm(r.distanceKm),
          r.group.name,
          r.group.city ?? r.group.country_name ?? "",
          r.group.status,
          r.group.url,
        ]),
      ),
    );
  if (res.groups.length === 0 && res.nearest) {
    const n = res.nearest;
    out.push(
      `Nearest group: ${n.group.name}, ${n.group.city ?? n.group.country_name}, ${formatKm(n.distanceKm)} (${n.group.status}).`,
    );
  }
  if (res.nearestAlive && !res.groups.some((r) => r.group.id === res.nearestAlive?.group.id)) {
    const n = res.nearestAlive;
    out.push(
      `Nearest alive group: ${n.group.name}, ${n.group.city ?? n.group.country_name}, ${formatKm(n.distanceKm)}.`,
    );
  }
  ctx.io.stdout(`${out.join("\n")}\n`);
  return 0;
}

async function cmdStats(ctx: Ctx, args: string[]): Promise<number> {
  const { values } = parse(args, { country: { type: "string" }, continent: { type: "string" } });
  const stats = await groupStats(await ctx.db(), {
    country: values.country as string | undefined,
    continent: values.continent as string | undefined,
  });
  if (stats.kind === "unknown_area") {
    ctx.io.stderr(`${stats.message}\n`);
    return 2;
  }
  if (values.json) {
    print(ctx, stats);
    return 0;
  }
  const lines = [
    `${stats.scope}: ${stats.alive} / ${stats.total} = ${percent(stats.alive, stats.total)} alive`,
    ...STATUSES.map((s) => `  ${STATUS_EMOJI[s]} ${s.padEnd(8)} ${String(stats.byStatus[s]).padStart(5)}`),
  ];
  if (stats.lastScanAt) lines.push(`Last scan: ${stats.lastScanAt}`);
  else lines.push("No scan has run yet: run `poick scan` to check the websites.");
  ctx.io.stdout(`${lines.join("\n")}\n`);
  return 0;
}

const VERBS: Record<string, (ctx: Ctx, args: string[]) => Promise<number>> = {
  sync: cmdSync,
  list: cmdList,
  near: cmdNear,
  stats: cmdStats,
  scan: runScan,
  info: runInfo,
};

export type { Ctx as CliContext };

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === "--help" || verb === "-h" || verb === "help") {
    io.stdout(`${rest[0] && HELP[rest[0]] ? HELP[rest[0]] : MAIN_HELP}\n`);
    return verb ? 0 : 1;
  }
  if (verb === "--version" || verb === "-v") {
    io.stdout("poick 0.1.0\n");
    return 0;
  }
  const handler = VERBS[verb];
  if (!handler && verb !== "register") {
    io.stderr(`Unknown command "${verb}". Run poick --help to see the commands.\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout(`${HELP[verb] ?? MAIN_HELP}\n`);
    return 0;
  }
  let config: Readonly<Config>;
  try {
    config = loadConfig(io.env ?? process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`Configuration problem: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  // The CLI speaks to people on stderr; JSON logs only when asked for with POICK_LOG_LEVEL.
  const logger = createLogger((io.env ?? process.env).POICK_LOG_LEVEL ? config.logLevel : "error", [
    config.discord.token,
  ]);
  let db: Db | undefined;
  const ctx: Ctx = {
    config,
    io,
    clock: io.clock ?? systemClock,
    logger,
    db: async () => {
      db ??= await openDatabase(config.dbPath);
      return db;
    },
  };
  try {
    if (verb === "register") {
      const { runRegister } = await import("./discord/register-cli.js");
      return await runRegister(ctx, rest);
    }
    return await (handler as (ctx: Ctx, args: string[]) => Promise<number>)(ctx, rest);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`${err.message}\nRun poick ${verb} --help for usage.\n`);
      return 2;
    }
    logger.error({ err }, "command failed");
    io.stderr(`Something went wrong: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await db?.destroy();
  }
}

function isMain(): boolean {
  try {
    return realpathSync(process.argv[1] ?? "") === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const code = await runCli(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stderr.isTTY),
  });
  process.exitCode = code;
}
