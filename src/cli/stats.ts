import { writeFileSync } from "node:fs";
import { statsChartFor } from "../jobs/chart-data.js";
import { groupStats } from "../jobs/stats.js";
import { STATUS_EMOJI, STATUSES } from "../liveness/status.js";
import { statsChart } from "../present/chart.js";
import { percent } from "../text/toolkit.js";
import { printJson, str, UsageError, type Verb } from "./verb.js";

export const statsVerb: Verb = {
  name: "stats",
  usage: "stats [--chart FILE.png]     how many groups are alive, like the study's 59 / 324",
  help: `Usage: poick stats [--country NAME|CODE] [--continent NAME] [--chart FILE.png] [--json]

Counts groups by status and the share that is alive.
  --chart FILE.png   also draw the alive share per area and the alive groups at each scan
                     (a continent's countries for --continent or --country, the continents otherwise)`,
  options: { country: { type: "string" }, continent: { type: "string" }, chart: { type: "string" } },
  async run(ctx, { values, json }) {
    const chartFile = values.chart === undefined ? undefined : str(values.chart);
    if (values.chart !== undefined && !chartFile?.trim())
      throw new UsageError("Say where to write the chart: --chart FILE.png");
    const app = await ctx.app();
    const filter = { country: str(values.country), continent: str(values.continent) };
    const stats = await groupStats(app.db, filter);
    if (stats.kind === "unknown_area") {
      ctx.io.stderr(`${stats.message}\n`);
      return 2;
    }
    if (chartFile) {
      const chart = statsChart(await statsChartFor(app.db, filter), ctx.io.clock?.now() ?? new Date());
      writeFileSync(chartFile, chart.png);
      // The chart note goes to stderr so that --json stays one parseable document on stdout.
      ctx.io.stderr(`Wrote ${chartFile} (${chart.width}×${chart.height}).\n`);
    }
    if (json) {
      printJson(ctx, stats);
      return 0;
    }
    const lines = [
      `${stats.scope}: ${stats.alive} / ${stats.total} = ${percent(stats.alive, stats.total)} alive`,
      ...STATUSES.map((s) => `  ${STATUS_EMOJI[s]} ${s.padEnd(8)} ${String(stats.byStatus[s]).padStart(5)}`),
    ];
    if (stats.lastScanAt) lines.push(`Last scan: ${stats.lastScanAt}`);
    else lines.push("No scan has run yet: run `poick scan` to check the websites.");
    ctx.io.stdout(`${lines.join("\n")}\n`);
    return 0;
  },
};
