import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FakeDiscord } from "./fake-discord.js";

const ROOT = join(import.meta.dirname, "../..");
/** tsx's loader by absolute URL, so the bot can run from any working directory. */
export const TSX_LOADER = import.meta.resolve("tsx");
export const MAIN = join(ROOT, "src/main.ts");
/** The built bot (`npm run build`), as an operator runs it. */
export const BUILT_MAIN = join(ROOT, "dist/main.js");
/** The Node flags `npm start` gives the bot (package.json's start script), so a built bot runs as shipped. */
export const START_FLAGS: string[] = (() => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } };
  const m = /^node\s+(.*?)\s*dist\/main\.js$/.exec(pkg.scripts.start.trim());
  if (!m)
    throw new Error(`package.json's start script is not "node [flags] dist/main.js": ${pkg.scripts.start}`);
  return m[1] ? m[1].split(/\s+/) : [];
})();

export interface BotProcess {
  child: ChildProcess;
  /** Everything the bot wrote to stdout and stderr so far. */
  output(): string;
  /** SIGKILL to the whole process group (never leaves an orphan). */
  kill(signal?: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

/**
 * Starts the real bot (src/main.ts, or dist/main.js with `npm start`'s flags, or `nodeFlags`, when
 * `built`) as its own process, pointed at the fake Discord.
 */
export function startBot(
  fake: FakeDiscord,
  opts: Record<string, string>,
  how: { built?: boolean; nodeFlags?: readonly string[] } = {},
): BotProcess {
  const { cwd, ...env } = opts;
  const args = how.built ? [...(how.nodeFlags ?? START_FLAGS), BUILT_MAIN] : ["--import", TSX_LOADER, MAIN];
  const child = spawn(process.execPath, args, {
    cwd: cwd ?? ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      DISCORD_TOKEN: fake.token,
      DISCORD_APP_ID: fake.appId,
      DISCORD_GUILD_ID: fake.guildId,
      DISCORD_API_URL: fake.apiUrl,
      POICK_REGISTER_ON_START: "1",
      POICK_LOG_LEVEL: "info",
      // Nothing real is reachable from tests: a refused loopback canary makes scans stop at once, changing nothing.
      POICK_CANARY_URLS: "http://127.0.0.1:9/",
      ...env,
    },
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += String(d);
  });
  child.stderr?.on("data", (d) => {
    out += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output: () => out,
    kill(signal = "SIGKILL") {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    },
    exited,
  };
}

/** Processes whose parent is `pid`, with their command lines (Linux /proc). */
export function childProcesses(pid: number): { pid: number; cmdline: string }[] {
  const out: { pid: number; cmdline: string }[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // The command name (in parentheses) may hold spaces: the fields after it are plain.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== pid) continue;
      out.push({
        pid: Number(name),
        cmdline: readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " "),
      });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The bot's renderer process (src/pictures/render-worker), if one runs now. */
export function rendererOf(bot: BotProcess): number | null {
  const pid = bot.child.pid;
  if (!pid) return null;
  return childProcesses(pid).find((c) => c.cmdline.includes("render-worker"))?.pid ?? null;
}
