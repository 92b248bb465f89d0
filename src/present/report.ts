import { stringify } from "csv-stringify/sync";
import { NO_SNAPSHOT_MESSAGE, type ReportData, type ReportEntry } from "../jobs/report.js";
import { normalizeUrl } from "../sources/normalize-url.js";
import { readListing } from "../sources/read-listing.js";
import { formatKm, safeUrl } from "../text/toolkit.js";
import { INACTIVE_HEADING, moveInactiveEntries, type WikiFormat } from "./wiki-edit.js";

export const REPORT_FORMATS = ["wiki", "markdown", "csv", "json"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export type RenderedReport =
  | { kind: "file"; name: string; text: string; moved?: number; notFound?: string[] }
  | { kind: "unavailable"; message: string };

/** The study's columns (url, name, is_alive) first, then Poick's. */
export const CSV_COLUMNS = [
  "url",
  "name",
  "is_alive",
  "status",
  "reason",
  "since",
  "last_activity",
  "city",
  "country",
];

/** A Markdown link whose address can't break out of the link (or the plain name when it isn't a web address). */
const mdLink = (name: string, url: string) => {
  const href = safeUrl(url);
  return href ? `[${cell(name)}](${href})` : cell(name);
};

export function reportCsv(data: ReportData): string {
  return stringify(
    data.groups.map((g) => [
      g.url,
      g.name,
      g.status === "alive" ? "true" : "false",
      g.status,
      g.reason ?? "",
      g.since ?? "",
      g.lastActivity ?? "",
      g.city ?? "",
      g.country ?? "",
    ]),
    { header: true, columns: CSV_COLUMNS },
  );
}

export function reportJson(data: ReportData): string {
  return `${JSON.stringify({ generated_at: data.generatedAt, inactive: data.inactive }, null, 2)}\n`;
}

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : "—");
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function placeOf(e: ReportEntry): string {
  return [e.city, e.country].filter(Boolean).join(", ") || "—";
}

/** A readable summary: per country, each inactive group with its evidence and a replacement. */
export function reportMarkdown(data: ReportData): string {
  const dead = data.inactive.filter((e) => e.status === "dead").length;
  const dormant = data.inactive.length - dead;
  const lines = [
    "# Python user groups to clean up",
    "",
    `Generated ${day(data.generatedAt)} by Poick: ${dead} dead and ${dormant} dormant of ${data.groups.length} listed groups.`,
    "Please check each entry by hand before you edit the wiki.",
    "",
  ];
  const byArea = new Map<string, ReportEntry[]>();
  for (const e of data.inactive) {
    const key = [e.continent ?? "Elsewhere", e.country ?? "No country"].join(" / ");
    byArea.set(key, [...(byArea.get(key) ?? []), e]);
  }
  for (const area of [...byArea.keys()].sort()) {
    lines.push(
      `## ${area}`,
      "",
      "| Group | Status | Since | Evidence | Nearest alive group |",
      "| --- | --- | --- | --- | --- |",
    );
    for (const e of byArea.get(area) ?? []) {
      const r = e.replacement;
      lines.push(
        `| ${mdLink(e.name, e.url)} (${cell(placeOf(e))}) | ${e.status} | ${day(e.since)} | ${cell(e.evidence)} | ${
          r ? `${mdLink(r.name, r.url)}, ${formatKm(r.distanceKm)} away` : "—"
        } |`,
      );
    }
    lines.push("");
  }
  if (data.inactive.length === 0) lines.push("Nothing to clean up: no listed group is dead or dormant.", "");
  return lines.join("\n");
}

export const HTML_ONLY_MESSAGE =
  "The last sync read the wiki's rendered HTML page, so its markup wasn't available to edit. " +
  "Sync from the Markdown source (the page's _sources/….md.txt, or a saved LocalUserGroups.md) " +
  "or the MoinMoin raw markup (?action=raw), then ask for the wiki report again.";

/** The source page with dead entries moved under "Inactive groups"; dormant ones stay (they may wake up). */
export function reportWiki(data: ReportData): RenderedReport {
  if (!data.snapshot) return { kind: "unavailable", message: NO_SNAPSHOT_MESSAGE };
  if (data.snapshot.format === "html") return { kind: "unavailable", message: HTML_ONLY_MESSAGE };
  const format: WikiFormat = data.snapshot.format;
  // The page read again, as the sync read it: a group's other links find the items that belong to it.
  const listed = new Map(
    (readListing({ body: data.snapshot.text })?.groups ?? []).map((g) => [normalizeUrl(g.url), g]),
  );
  const edit = moveInactiveEntries(
    data.snapshot.text,
    format,
    data.inactive
      .filter((e) => e.status === "dead")
      .map((e) => ({
        url: e.url,
        name: e.name,
        alsoUrls: listed.get(normalizeUrl(e.url))?.channels?.map((c) => c.url) ?? [],
      })),
  );
  return {
    kind: "file",
    name: format === "myst" ? "LocalUserGroups.md" : "LocalUserGroups.moin",
    text: edit.text,
    moved: edit.moved.length,
    notFound: edit.notFound.map((e) => e.name),
  };
}

export function renderReport(data: ReportData, format: ReportFormat): RenderedReport {
  switch (format) {
    case "wiki":
      return reportWiki(data);
    case "markdown":
      return { kind: "file", name: "report.md", text: reportMarkdown(data) };
    case "csv":
      return { kind: "file", name: "report.csv", text: reportCsv(data) };
    case "json":
      return { kind: "file", name: "report.json", text: reportJson(data) };
  }
}

/** One or two lines on what the wiki edit did, for the person about to paste it. */
export function wikiEditSummary(r: Extract<RenderedReport, { kind: "file" }>): string {
  const moved = r.moved ?? 0;
  const lines = [
    moved === 0
      ? "No dead group to move: the page is as Poick last read it."
      : `Moved ${moved} dead ${moved === 1 ? "entry" : "entries"} under "${INACTIVE_HEADING}" at the end of ${moved === 1 ? "its section" : "their sections"}.`,
  ];
  if (r.notFound?.length)
    lines.push(
      `Left in place (nested under another entry, or not found on the page; move by hand): ${r.notFound.join(", ")}.`,
    );
  return lines.join("\n");
}
