import { groupStats } from "../jobs/stats.js";
import { STATUS_EMOJI, STATUSES } from "../liveness/status.js";
import { percent } from "../text/toolkit.js";
import { printJson, str, type Verb } from "./verb.js";

export const statsVerb: Verb = {
  name: "stats",
  usage: "stats [--country C | --continent C]   how many groups are alive, like the study's 59 / 324",
  help: `Usage: poick stats [--country NAME|CODE] [--continent NAME] [--json]

Counts groups by status and the share that is alive.`,
  options: { country: { type: "string" }, continent: { type: "string" } },
  async run(ctx, { values, json }) {
    const app = await ctx.app();
    const stats = await groupStats(app.db, {
      country: str(values.country),
      continent: str(values.continent),
    });
    if (stats.kind === "unknown_area") {
      ctx.io.stderr(`${stats.message}\n`);
      return 2;
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
