import type { ScanFigures, ScanOutcome } from "../jobs/scan.js";
import type { SyncOutcome } from "../jobs/sync.js";
import type { Busy } from "../jobs/use-cases.js";
import { reasonText } from "../liveness/reasons.js";
import { STATUS_EMOJI, statusCounts, totalOf } from "../liveness/status.js";
import type { ListingForm } from "../sources/fetch-source.js";
import { percent } from "../text/toolkit.js";
import type { Words } from "./medium.js";

const BUSY = {
  scan: "A scan is already running (maybe started by the schedule, an admin or `poick scan`). Try again when it has finished.",
  sync: "A sync is already running. Try again in a minute.",
};

/** What a scan did, in a few lines: the share alive, the counts, who changed. */
export function scanSummary(outcome: ScanOutcome | Busy, w: Words, maxChanges = 10): string {
  switch (outcome.kind) {
    case "busy":
      return BUSY.scan;
    case "offline":
    case "stopped":
      return `⚠️ ${outcome.message}`;
    case "not_found":
      return outcome.message;
    case "done": {
      const total = totalOf(outcome.counts);
      const alive = outcome.counts.alive;
      const lines = [
        `✅ ${w.bold(`${alive} / ${total} = ${percent(alive, total)} alive`)}`,
        statusCounts(outcome.counts, " · "),
      ];
      if (outcome.resumed)
        lines.push(`Resumed an interrupted scan: ${outcome.skipped} groups were already checked.`);
      const named = outcome.transitions.slice(0, maxChanges);
      for (const t of named) {
        lines.push(
          t.transition === "dead" ? `🔴 ${w.text(t.name)} is now dead.` : `🟢 ${w.text(t.name)} is back.`,
        );
      }
      if (outcome.transitionCount > named.length)
        lines.push(`…and ${outcome.transitionCount - named.length} more changes.`);
      lines.push(scanFigures(outcome.figures));
      return lines.join("\n");
    }
  }
}

/** What the scan cost the sites and how long it took, in one line. */
export function scanFigures(f: ScanFigures): string {
  const bits = [
    `${f.requests} requests (${f.requestsPerGroup.toFixed(2)} per group)`,
    `${f.rateLimited} × 429`,
    `${(f.wallMs / 1000).toFixed(1)} s`,
  ];
  if (f.deferred > 0)
    bits.push(`${f.deferred} left for next time (their site kept saying "too many requests")`);
  return bits.join(" · ");
}

/** One group's fresh verdict after a one-off check. */
export function checkedOne(outcome: ScanOutcome | Busy, w: Words): string {
  if (outcome.kind === "busy") return "That group is being checked right now. Try again in a minute.";
  if (outcome.kind !== "done") return scanSummary(outcome, w);
  const r = outcome.groups?.[0];
  if (!r) return "I couldn't check that group. Try again in a minute.";
  return `Checked just now: ${STATUS_EMOJI[r.verdict.status]} ${w.text(r.name)} is ${r.verdict.status}. ${reasonText(r.verdict.reason)}`;
}

/** What a listing was read from, as the sync summary says it. */
export const LISTING_FORM_WORDS: Readonly<Record<ListingForm, string>> = {
  "markdown-source": "the page's Markdown source",
  html: "the rendered page (HTML)",
  "wiki-markup": "the MoinMoin wiki markup",
};

/** What a sync did. */
export function syncSummary(outcome: SyncOutcome | Busy, _w: Words): string {
  switch (outcome.kind) {
    case "busy":
      return BUSY.sync;
    case "synced": {
      const bits = [
        `${outcome.added.length} new`,
        `${outcome.updated} updated`,
        `${outcome.removed.length} no longer listed`,
      ];
      if (outcome.restored.length) bits.push(`${outcome.restored.length} listed again`);
      const text = `✅ Read ${LISTING_FORM_WORDS[outcome.readFrom]}. Found ${outcome.found} groups (${outcome.placed} placed on a city): ${bits.join(", ")}.`;
      return outcome.flagged ? `${text}\n⚠️ Please look at the page: ${outcome.flagged}.` : text;
    }
    case "unchanged":
      return `The page has not changed since the last sync (${outcome.previous} groups). Nothing to do.`;
    case "refused":
      return `⚠️ Sync refused, nothing changed: ${outcome.message}`;
    case "failed":
      return `⚠️ Sync failed: ${outcome.message}`;
  }
}
