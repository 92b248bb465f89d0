import { ApplicationCommandOptionType } from "discord-api-types/v10";
import type { ReportFormat } from "../present/report.js";
import { DISCORD_LIMITS } from "../text/discord-limits.js";
import { clip, safeText } from "../text/toolkit.js";
import type { SubcommandData } from "./define.js";
import type { CommandDeps, Reply } from "./types.js";

export const reportSubcommand = {
  type: ApplicationCommandOptionType.Subcommand,
  name: "report",
  description: "The clean-up report as a file: dead and dormant groups, or the wiki page edited",
  options: [
    {
      type: ApplicationCommandOptionType.String,
      name: "format",
      description: "What kind of file (default: markdown)",
      choices: [
        { name: "wiki page with dead groups moved", value: "wiki" },
        { name: "markdown summary", value: "markdown" },
        { name: "CSV of every group", value: "csv" },
        { name: "JSON", value: "json" },
      ],
    },
  ],
} as const satisfies SubcommandData;

const INTRO: Record<Exclude<ReportFormat, "wiki">, string> = {
  markdown: "The dead and dormant groups, with evidence and the nearest alive group.",
  csv: "Every listed group with its status (the study's columns first).",
  json: "The dead and dormant groups with everything Poick knows.",
};

/**
 * `/pug-admin report`: the same files as `poick report`, attached to a private answer. The report's
 * modules (the listing readers, markdown-it, csv-stringify) load on the first report, not at the bot's start.
 */
export async function executeReport(deps: CommandDeps, format: string | null): Promise<Reply> {
  const [{ buildReport }, { REPORT_FORMATS, renderReport, wikiEditSummary }] = await Promise.all([
    import("../jobs/report.js"),
    import("../present/report.js"),
  ]);
  const f: ReportFormat = REPORT_FORMATS.find((x) => x === format) ?? "markdown";
  const data = await buildReport(deps.db, deps.clock.now());
  const report = renderReport(data, f);
  if (report.kind === "unavailable") return { ephemeral: true, content: report.message };
  const file = Buffer.from(report.text, "utf8");
  if (file.length > DISCORD_LIMITS.attachmentBytes)
    return {
      ephemeral: true,
      content: `The ${f} report is ${(file.length / 1024 / 1024).toFixed(1)} MB, more than Discord lets me attach. Run \`poick report --format ${f} --out FILE\` on the server instead.`,
    };
  const dead = data.inactive.filter((e) => e.status === "dead").length;
  const head = `📄 ${dead} dead and ${data.inactive.length - dead} dormant of ${data.groups.length} listed groups.`;
  const body =
    f === "wiki"
      ? `${safeText(wikiEditSummary(report))}\nPlease check each entry before you edit the wiki.`
      : INTRO[f];
  return {
    ephemeral: true,
    content: clip(`${head}\n${body}`, DISCORD_LIMITS.content),
    files: [{ name: report.name, data: file }],
  };
}
