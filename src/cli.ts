#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import type { App } from "./app.js";
import { type CliIo, parse, UsageError, type Verb } from "./cli/verb.js";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";

export type { CliIo };

/**
 * Every verb, in the order `poick --help` shows them, loaded only when it runs: `poick scan` never
 * loads the map renderer, the chart, the report writers or discord.js (the CLI's memory is the
 * scan's budget too).
 */
export const VERBS: Readonly<Record<string, () => Promise<Verb>>> = {
  sync: async () => (await import("./cli/sync.js")).syncVerb,
  scan: async () => (await import("./cli/scan.js")).scanVerb,
  list: async () => (await import("./cli/list.js")).listVerb,
  near: async () => (await import("./cli/near.js")).nearVerb,
  info: async () => (await import("./cli/info.js")).infoVerb,
  stats: async () => (await import("./cli/stats.js")).statsVerb,
  map: async () => (await import("./cli/map.js")).mapVerb,
  report: async () => (await import("./cli/report.js")).reportVerb,
  register: async () => (await import("./cli/register.js")).registerVerb,
  backup: async () => (await import("./cli/backup.js")).backupVerb,
  "migrate-to": async () => (await import("./cli/migrate-to.js")).migrateToVerb,
};

const loadVerb = (name: string | undefined): Promise<Verb> | undefined =>
  name !== undefined && Object.hasOwn(VERBS, name) ? VERBS[name]?.() : undefined;

const mainHelp = (verbs: readonly Verb[]) => `poick — finds the Python user groups that are still alive.

Usage: poick <command> [options]

Commands:
${verbs.map((v) => `  ${v.usage}`).join("\n")}

Options for every command:
  --json      machine-readable output
  --help      help for a command

Settings come from the environment or a .env file (POICK_DB, default ./data/poick.db;
DATABASE_URL=postgres://... for PostgreSQL).
See the README for all of them.`;

/** The `poick` command line: config once, the one application, then a verb. Returns the exit status. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    const verb = await loadVerb(rest[0]);
    const all = verb ? [] : await Promise.all(Object.values(VERBS).map((load) => load()));
    io.stdout(`${verb ? verb.help : mainHelp(all)}\n`);
    return name ? 0 : 1;
  }
  if (name === "--version" || name === "-v") {
    io.stdout("poick 0.1.0\n");
    return 0;
  }
  const verb = await loadVerb(name);
  if (!verb) {
    io.stderr(`Unknown command "${name}". Run poick --help to see the commands.\n`);
    return 2;
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
  let app: Promise<App> | undefined;
  try {
    const args = parse(rest, verb.options);
    if (args.values.help) {
      io.stdout(`${verb.help}\n`);
      return 0;
    }
    return await verb.run(
      {
        config,
        io,
        app: () =>
          (app ??= import("./app.js").then(({ createApp }) =>
            createApp(config, { clock: io.clock, logger }),
          )),
      },
      args,
    );
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`${err.message}\nRun poick ${verb.name} --help for usage.\n`);
      return 2;
    }
    logger.error({ err }, "command failed");
    io.stderr(`Something went wrong: ${(err as Error).message}\n`);
    return 1;
  } finally {
    if (app) await (await app.catch(() => null))?.close();
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
  // poick runs one big batch at a time: a 100,000-group sync keeps ~100 MB live. Between full collections V8 lets
  // the heap grow by a factor it picks from how fast collections went (up to 4x on a machine with much memory, so
  // the same sync peaked anywhere from 300 to 390 MiB RSS); half as much again is plenty here and the same every
  // run. V8 reads this at every collection, so setting it now works; NODE_OPTIONS cannot carry it. The bot (main.ts)
  // keeps V8's default.
  setFlagsFromString("--heap-growing-percent=50");
  // `poick list --json | head`: the reader left; stop quietly, as other command-line tools do.
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw err;
    });
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stderr.isTTY),
    progressStream: process.stderr.isTTY ? process.stderr : undefined,
  });
}
