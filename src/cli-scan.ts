import { type CliContext, parse } from "./cli.js";
import { findGroups } from "./db/groups.js";
import { recentChecks } from "./db/scans.js";
import type { GroupRow } from "./db/schema.js";
import { withJobLock } from "./jobs/lock.js";
import { type ScanOutcome, type ScanProgress, scanGroups } from "./jobs/scan.js";
import { reasonText } from "./liveness/reasons.js";
import { groupJson } from "./present/groups.js";
import {
  percent,
  placeLabel,
  relativeTime,
  STATUS_EMOJI,
  STATUSES,
  table,
  truncate,
} from "./present/text.js";
import { buildScanDeps } from "./wiring.js";

export const CLI_SCAN: Record<string, string> = {
  scan: `Usage: poick scan [--group ID|NAME] [--json]

Opens every listed group's website and judges it alive, dormant (no activity for a year),
dead or unknown, with the evidence. A group seen alive turns dead only after repeated failures
(POICK_DEAD_AFTER_CHECKS, POICK_DEAD_AFTER_HOURS). If the internet is unreachable from here,
the scan stops and changes nothing (exit status 4). An interrupted scan resumes where it stopped.

  --group ID|NAME   check just this group and show its fresh verdict`,
  info: `Usage: poick info <group> [--json]

One group's verdict, the reason in plain words, its evidence and its recent checks.
<group> is an id (from poick list --json) or a name, e.g. poick info PySilesia.`,
};

async function pickGroup(ctx: CliContext, query: string): Promise<GroupRow | string> {
  const found = await findGroups(await ctx.db(), query, 10);
  if (found.length === 0) return `No group matches "${query}". Try poick list to see them all.`;
  const exact = found.filter((g) => g.id === query || g.name.toLowerCase() === query.toLowerCase());
  if (exact.length === 1) return exact[0] as GroupRow;
  if (found.length === 1) return found[0] as GroupRow;
  return `"${query}" matches several groups; say which (by id):\n${found
    .map((g) => `  ${g.id}  ${g.name} (${placeLabel(g)})`)
    .join("\n")}`;
}

function progressPrinter(ctx: CliContext, json: boolean) {
  const tty = Boolean(ctx.io.isTTY);
  let lastDraw = 0;
  return {
    onProgress(p: ScanProgress) {
      if (tty) {
        const t = Date.now();
        if (t - lastDraw < 100 && p.done < p.total) return;
        lastDraw = t;
        const width = 24;
        const filled = Math.round((width * p.done) / Math.max(1, p.total));
        ctx.io.stderr(
          `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${p.done}/${p.total} ${truncate(p.group.name, 30).padEnd(30)}`,
        );
      } else if (!json) {
        ctx.io.stderr(`[${p.done}/${p.total}] ${p.status.padEnd(7)} ${p.group.name} (${p.verdict.reason})\n`);
      }
    },
    end() {
      if (tty) ctx.io.stderr("\r\x1b[2K");
    },
  };
}

function summary(outcome: Extract<ScanOutcome, { kind: "done" }>): string {
  const total = STATUSES.reduce((a, s) => a + outcome.counts[s], 0);
  const parts = STATUSES.map((s) => `${STATUS_EMOJI[s]} ${outcome.counts[s]} ${s}`).join(", ");
  const lines = [
    `${outcome.counts.alive} / ${total} = ${percent(outcome.counts.alive, total)} alive (${parts}).`,
  ];
  if (outcome.resumed)
    lines.push(`Resumed an interrupted scan: ${outcome.skipped} groups were already checked.`);
  for (const t of outcome.transitions) {
    lines.push(t.transition === "dead" ? `🔴 ${t.name} is now dead.` : `🟢 ${t.name} is back.`);
  }
  return lines.join("\n");
}

export async function runScan(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parse(args, { group: { type: "string", short: "g" } });
  const json = Boolean(values.json);
  const db = await ctx.db();
  let groupIds: string[] | undefined;
  if (values.group !== undefined) {
    const g = await pickGroup(ctx, String(values.group));
    if (typeof g === "string") {
      ctx.io.stderr(`${g}\n`);
      return 2;
    }
    groupIds = [g.id];
  }
  const deps = buildScanDeps(ctx.config, db, ctx.clock, ctx.logger);
  const progress = progressPrinter(ctx, json);
  try {
    if (!groupIds && !json) ctx.io.stderr("Checking that the internet is reachable …\n");
    const locked = await withJobLock(db, ctx.clock, "scan", () =>
      scanGroups(deps, { groupIds, onProgress: progress.onProgress }),
    );
    progress.end();
    if (locked.kind === "busy") {
      ctx.io.stderr("Another scan is running right now (maybe the bot's). Try again when it has finished.\n");
      return 5;
    }
    const outcome = locked.value;
    if (json) ctx.io.stdout(`${JSON.stringify(outcome, null, 2)}\n`);
    switch (outcome.kind) {
      case "offline":
        ctx.io.stderr(`${outcome.message}\n`);
        return 4;
      case "not_found":
        ctx.io.stderr(`${outcome.message}\n`);
        return 2;
      case "done":
        if (json) return 0;
        if (groupIds) {
          const r = outcome.groups[0];
          if (r)
            ctx.io.stdout(
              `${STATUS_EMOJI[r.status]} ${r.name}: ${r.status}. ${reasonText(r.verdict.reason)}\n`,
            );
        } else {
          ctx.io.stdout(`${summary(outcome)}\n`);
        }
        return 0;
    }
  } finally {
    await deps.close();
  }
}

export async function runInfo(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  const query = positionals.join(" ").trim();
  if (!query) {
    ctx.io.stderr("Say which group: poick info <group>, for example poick info PySilesia.\n");
    return 2;
  }
  const g = await pickGroup(ctx, query);
  if (typeof g === "string") {
    ctx.io.stderr(`${g}\n`);
    return 2;
  }
  const checks = await recentChecks(await ctx.db(), g.id, 10);
  const now = ctx.clock.now();
  if (values.json) {
    ctx.io.stdout(
      `${JSON.stringify(
        {
          ...groupJson(g),
          checks: checks.map((c) => ({
            checked_at: c.checked_at,
            status: c.status,
            reason: c.reason,
            http_status: c.http_status,
            final_url: c.final_url,
            redirects: JSON.parse(c.redirects),
            timings: JSON.parse(c.timings),
            evidence: JSON.parse(c.evidence),
          })),
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  const last = checks[0];
  const lines = [
    `${STATUS_EMOJI[g.status]} ${g.name} — ${g.status}${g.status_since ? ` since ${relativeTime(g.status_since, now)}` : ""}`,
    `  ${g.url}`,
    `  Where: ${placeLabel(g)}${g.lat !== null ? ` (${g.lat.toFixed(3)}, ${(g.lon ?? 0).toFixed(3)})` : ""}`,
    g.reason ? `  Why: ${reasonText(g.reason)}` : "  Why: not checked yet. Run poick scan.",
  ];
  if (g.failing_since && g.status !== "dead") {
    lines.push(
      `  Failing since ${relativeTime(g.failing_since, now)} (${g.consecutive_failures} checks): ${reasonText(g.failing_reason ?? "")}`,
    );
  }
  if (last) {
    lines.push(
      `  Last checked ${relativeTime(last.checked_at, now)}: HTTP ${last.http_status ?? "—"}${last.final_url && last.final_url !== g.url ? `, ended at ${last.final_url}` : ""}`,
    );
  }
  if (g.last_activity_at)
    lines.push(
      `  Last activity: ${g.last_activity_at.slice(0, 10)} (${relativeTime(g.last_activity_at, now)})`,
    );
  if (g.next_event_at)
    lines.push(`  Next event: ${g.next_event_at.slice(0, 10)} (${relativeTime(g.next_event_at, now)})`);
  if (g.removed_at) lines.push(`  No longer listed on the wiki since ${g.removed_at.slice(0, 10)}.`);
  if (checks.length) {
    lines.push("", "Recent checks:");
    lines.push(
      table(
        ["when", "verdict", "http", "reason"],
        checks.map((c) => [
          relativeTime(c.checked_at, now),
          c.status,
          String(c.http_status ?? "—"),
          c.reason,
        ]),
      ),
    );
  }
  ctx.io.stdout(`${lines.join("\n")}\n`);
  return 0;
}
