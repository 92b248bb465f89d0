import { writeFileSync } from "node:fs";
import { buildReport } from "../jobs/report.js";
import { REPORT_FORMATS, type ReportFormat, renderReport, wikiEditSummary } from "../present/report.js";
import { str, UsageError, type Verb } from "./verb.js";

/** `poick report --format wiki|markdown|csv|json [--out FILE]` (register in cli.ts's VERBS). */
export const reportVerb: Verb = {
  name: "report",
  usage: "report [--format F]          the clean-up list: the wiki page edited, markdown, csv or json",
  help: `Usage: poick report --format wiki|markdown|csv|json [--out FILE]

The dead and dormant groups with their evidence, since when, and the nearest alive group.
  wiki      the wiki page as Poick last read it, dead entries moved under "Inactive groups"
  markdown  a readable summary
  csv       every group: url, name, is_alive, status, reason, since, last_activity, city, country
  json      the dead and dormant groups with everything Poick knows`,
  options: { format: { type: "string", short: "f" }, out: { type: "string", short: "o" } },
  async run(ctx, { values }) {
    const format = (str(values.format) ?? "markdown") as ReportFormat;
    if (!REPORT_FORMATS.includes(format))
      throw new UsageError(`--format is one of ${REPORT_FORMATS.join(", ")}.`);
    const app = await ctx.app();
    const report = renderReport(await buildReport(app.db, ctx.io.clock?.now() ?? new Date()), format);
    if (report.kind === "unavailable") {
      ctx.io.stderr(`${report.message}\n`);
      return 3;
    }
    if (format === "wiki") ctx.io.stderr(`${wikiEditSummary(report)}\n`);
    const out = str(values.out);
    if (out) {
      writeFileSync(out, report.text);
      ctx.io.stdout(`Wrote ${out}.\n`);
    } else ctx.io.stdout(report.text);
    return 0;
  },
};
