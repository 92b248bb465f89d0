import { runCli } from "../../src/cli.js";
import type { Clock } from "../../src/clock.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

/** Runs the real CLI in-process with its own environment (no .env file is read: POICK_* come from `env`). */
export async function cli(args: string[], env: Record<string, string>, clock?: Clock): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    env: { POICK_CANARY_URLS: "", ...env },
    clock,
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}
