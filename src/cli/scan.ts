import { MultiBar, type SingleBar } from "cli-progress";
import { pickGroup } from "../jobs/find-group.js";
import type { ScanProgress } from "../jobs/scan.js";
import { wordsFor } from "../present/medium.js";
import { checkedOne, scanSummary } from "../present/outcomes.js";
import { clip } from "../text/toolkit.js";
import { type CliIo, printJson, str, type Verb, type VerbContext } from "./verb.js";

/** Hosts with a bar of their own; the rest share an "others" bar. */
const BUSIEST = 4;

/**
 * Per-host progress on a terminal (cli-progress MultiBar: the busiest hosts and one "others" bar),
 * one line per group in a log, nothing with --json.
 */
function progressFor(io: CliIo, json: boolean) {
  if (json) return { onProgress: undefined, stop() {} };
  if (io.isTTY && io.progressStream) {
    const multi = new MultiBar({
      stream: io.progressStream,
      format: "{bar} {value}/{total} {host} · {group}",
      hideCursor: true,
      clearOnComplete: true,
      autopadding: true,
    });
    let bars: Map<string, SingleBar> | null = null;
    let others: SingleBar | null = null;
    const counts = new Map<string, number>();
    return {
      onProgress(p: ScanProgress) {
        if (!bars) {
          const busiest = Object.entries(p.hostTotals)
            .sort((a, b) => b[1] - a[1])
            .slice(0, BUSIEST);
          bars = new Map(busiest.map(([host, n]) => [host, multi.create(n, 0, { host, group: "" })]));
          const rest = Object.entries(p.hostTotals)
            .filter(([host]) => !bars?.has(host))
            .reduce((n, [, k]) => n + k, 0);
          if (rest > 0) others = multi.create(rest, 0, { host: "others", group: "" });
        }
        const bar = bars.get(p.host) ?? others;
        const key = bars.has(p.host) ? p.host : "others";
        counts.set(key, (counts.get(key) ?? 0) + 1);
        bar?.update(counts.get(key) ?? 0, { group: clip(p.group.name, 30) });
      },
      stop: () => multi.stop(),
    };
  }
  return {
    onProgress: (p: ScanProgress) =>
      io.stderr(`[${p.done}/${p.total}] ${p.status.padEnd(7)} ${p.group.name} (${p.verdict.reason})\n`),
    stop() {},
  };
}

export const scanVerb: Verb = {
  name: "scan",
  usage:
    "scan [--group ID|NAME]       check every group's website and judge it alive, dormant, dead or unknown",
  help: `Usage: poick scan [--group ID|NAME] [--json]

Opens every listed group's website and judges it alive, dormant (no activity for a year),
dead or unknown, with the evidence. A group seen alive turns dead only after repeated failures
(POICK_DEAD_AFTER_CHECKS, POICK_DEAD_AFTER_HOURS). If the internet is unreachable from here,
the scan stops and changes nothing (exit status 4). An interrupted scan resumes where it stopped.
Status changes queue their alerts for the bot, which posts them within a minute.

  --group ID|NAME   check just this group and show its fresh verdict`,
  options: { group: { type: "string", short: "g" } },
  async run(ctx: VerbContext, { values, json }) {
    const app = await ctx.app();
    const words = wordsFor("terminal", app.clock.now());
    const query = str(values.group);
    if (query !== undefined) {
      const pick = await pickGroup(app.db, query);
      if (pick.kind !== "found") return groupNotPicked(ctx, query, pick);
      const outcome = await app.jobs.scanOne(pick.group.id);
      if (json) printJson(ctx, outcome);
      else ctx.io.stdout(`${checkedOne(outcome, words)}\n`);
      return exitCode(outcome.kind);
    }
    if (!json) ctx.io.stderr("Checking that the internet is reachable …\n");
    const progress = progressFor(ctx.io, json);
    const outcome = await app.jobs.scanAll(progress.onProgress).finally(() => progress.stop());
    if (json) printJson(ctx, outcome);
    const text = scanSummary(outcome, words, 50);
    if (outcome.kind === "done") {
      if (!json) ctx.io.stdout(`${text}\n`);
    } else ctx.io.stderr(`${text}\n`);
    return exitCode(outcome.kind);
  },
};

function exitCode(kind: string): number {
  return { done: 0, offline: 4, busy: 5, not_found: 2, stopped: 1 }[kind] ?? 1;
}

export function groupNotPicked(
  ctx: VerbContext,
  query: string,
  pick:
    | { kind: "none" }
    | {
        kind: "several";
        groups: { id: string; name: string; city: string | null; country_name: string | null }[];
      },
): number {
  if (pick.kind === "none") ctx.io.stderr(`No group matches "${query}". Try poick list to see them all.\n`);
  else
    ctx.io.stderr(
      `"${query}" matches several groups; say which (by id):\n${pick.groups
        .map((g) => `  ${g.id}  ${g.name} (${[g.city, g.country_name].filter(Boolean).join(", ") || "—"})`)
        .join("\n")}\n`,
    );
  return 2;
}
