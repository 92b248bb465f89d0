import { parseArgs } from "node:util";
import type { App } from "../app.js";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env?: Record<string, string | undefined>;
  clock?: Clock;
  isTTY?: boolean;
  /** Where cli-progress draws (a TTY stream); absent in tests and pipes. */
  progressStream?: NodeJS.WritableStream;
}

/** Bad input from the person at the terminal: shown as it is, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  json: boolean;
}

export interface VerbContext {
  config: Readonly<Config>;
  io: CliIo;
  /** The one application (opened on first use, closed by the root). */
  app(): Promise<App>;
}

/** One `poick` verb: a thin door over the application's use cases and presenters. */
export interface Verb {
  name: string;
  /** One line for `poick --help`. */
  usage: string;
  help: string;
  options: OptionSpec;
  run(ctx: VerbContext, args: Parsed): Promise<number>;
}

export function parse(args: string[], options: OptionSpec): Parsed {
  try {
    const r = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" }, json: { type: "boolean" } },
      allowPositionals: true,
      strict: true,
    });
    const values = r.values as Parsed["values"];
    return { values, positionals: r.positionals, json: Boolean(values.json) };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export const printJson = (ctx: VerbContext, value: unknown) =>
  ctx.io.stdout(`${JSON.stringify(value, null, 2)}\n`);

export const str = (v: string | boolean | undefined): string | undefined =>
  typeof v === "string" ? v : undefined;
