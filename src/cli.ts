#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type App, createApp } from "./app.js";
import { backupVerb } from "./cli/backup.js";
import { infoVerb } from "./cli/info.js";
import { listVerb } from "./cli/list.js";
import { mapVerb } from "./cli/map.js";
import { migrateToVerb } from "./cli/migrate-to.js";
import { nearVerb } from "./cli/near.js";
import { registerVerb } from "./cli/register.js";
import { reportVerb } from "./cli/report.js";
import { scanVerb } from "./cli/scan.js";
import { statsVerb } from "./cli/stats.js";
import { syncVerb } from "./cli/sync.js";
import { type CliIo, parse, UsageError, type Verb } from "./cli/verb.js";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";

export type { CliIo };

/** Every verb, in the order `poick --help` shows them. */
export const VERBS: readonly Verb[] = [
  syncVerb,
  scanVerb,
  listVerb,
  nearVerb,
  infoVerb,
  statsVerb,
  mapVerb,
  reportVerb,
  registerVerb,
  backupVerb,
  migrateToVerb,
];

const MAIN_HELP = `poick — finds the Python user groups that are still alive.

Usage: poick <command> [options]

Commands:
${VERBS.map((v) => `  ${v.usage}`).join("\n")}

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
    const verb = VERBS.find((v) => v.name === rest[0]);
    io.stdout(`${verb ? verb.help : MAIN_HELP}\n`);
    return name ? 0 : 1;
  }
  if (name === "--version" || name === "-v") {
    io.stdout("poick 0.1.0\n");
    return 0;
  }
  const verb = VERBS.find((v) => v.name === name);
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
      { config, io, app: () => (app ??= createApp(config, { clock: io.clock, logger })) },
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
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stderr.isTTY),
    progressStream: process.stderr.isTTY ? process.stderr : undefined,
  });
}
