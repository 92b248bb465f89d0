import type { CheckRow, GroupRow } from "../db/schema.js";
import { reasonText } from "../liveness/reasons.js";
import { STATUS_EMOJI } from "../liveness/status.js";
import { clip, linkTo, placeLabel } from "../text/toolkit.js";
import { type ChannelLike, channelsText } from "./channels.js";
import type { Words } from "./medium.js";

export interface InfoField {
  name: string;
  value: string;
  inline?: boolean;
}

/** One group's verdict, evidence and history as labelled fields, for an embed or a terminal alike. */
export interface GroupInfo {
  title: string;
  url: string;
  description: string | null;
  fields: InfoField[];
  footer: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export function groupInfo(
  g: GroupRow,
  checks: readonly CheckRow[],
  channels: readonly ChannelLike[],
  w: Words,
  rescanHint: string,
): GroupInfo {
  const last = checks[0];
  const evidence = last ? (JSON.parse(last.evidence) as Record<string, unknown>) : {};
  const fields: InfoField[] = [
    { name: "Where", value: w.text(placeLabel(g)), inline: true },
    {
      name: "Verdict",
      value: `${STATUS_EMOJI[g.status]} ${g.status}${g.status_since ? ` since ${w.when(g.status_since)}` : ""}`,
      inline: true,
    },
    {
      name: "Why",
      value: g.reason
        ? `${reasonText(g.reason)}${typeof evidence.why === "string" && last?.reason === g.reason ? ` In detail: ${w.text(clip(evidence.why, 600))}.` : ""}`
        : `Not checked yet: ${rescanHint}.`,
    },
  ];
  if (g.failing_since && g.status !== "dead") {
    fields.push({
      name: "Failing",
      value: `Since ${w.when(g.failing_since)} (${plural(g.consecutive_failures, "check")}): ${reasonText(g.failing_reason ?? "")} It stays ${g.status} until failures repeat over time.`,
    });
  }
  if (last) {
    const bits = [`HTTP ${last.http_status ?? "—"}`];
    if (last.final_url && last.final_url !== g.url)
      bits.push(`ended at ${w.text(clip(last.final_url, 200))}`);
    const title = typeof evidence.title === "string" ? evidence.title : null;
    if (title) bits.push(`page title “${w.text(clip(title, 100))}”`);
    fields.push({ name: "Evidence", value: bits.join(w.medium === "discord" ? "\n" : ", ") });
    fields.push({ name: "Last checked", value: w.when(last.checked_at), inline: true });
  }
  if (g.last_activity_at)
    fields.push({ name: "Last activity", value: w.when(g.last_activity_at, "D"), inline: true });
  if (g.next_event_at) fields.push({ name: "Next event", value: w.when(g.next_event_at, "D"), inline: true });
  if (checks.length > 0) {
    fields.push({
      name: "Recent checks",
      value: checks
        .slice(0, 8)
        .map(
          (c) =>
            `${STATUS_EMOJI[c.status]} ${w.when(c.checked_at)} · ${c.reason}${c.http_status ? ` · ${c.http_status}` : ""}`,
        )
        .join("\n"),
    });
  }
  const links = channelsText(channels, 10, w.medium === "discord" ? (url) => linkTo(url) : undefined);
  if (links) fields.push({ name: "Channels", value: links });
  if (g.removed_at)
    fields.push({
      name: "Listing",
      value: `No longer listed on the wiki since ${w.when(g.removed_at, "D")}.`,
    });
  return {
    title: `${STATUS_EMOJI[g.status]} ${g.name}`,
    url: g.url,
    description: g.description ? w.text(g.description) : null,
    fields,
    footer: `id ${g.id}`,
  };
}

/** The same fields as terminal text. */
export function infoText(info: GroupInfo): string {
  const lines = [info.title, `  ${info.url}`];
  if (info.description) lines.push(`  ${info.description}`);
  for (const f of info.fields) {
    const [first, ...more] = f.value.split("\n");
    lines.push(
      more.length ? `  ${f.name}:\n    ${[first, ...more].join("\n    ")}` : `  ${f.name}: ${first}`,
    );
  }
  lines.push(`  (${info.footer})`);
  return lines.join("\n");
}
