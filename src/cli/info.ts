import { listChannels } from "../db/groups.js";
import { recentChecks } from "../db/scans.js";
import { pickGroup } from "../jobs/find-group.js";
import { groupJson } from "../present/groups.js";
import { groupInfo, infoText } from "../present/info.js";
import { wordsFor } from "../present/medium.js";
import { groupNotPicked } from "./scan.js";
import { printJson, UsageError, type Verb } from "./verb.js";

export const infoVerb: Verb = {
  name: "info",
  usage: "info <group>                 one group's verdict, evidence and check history",
  help: `Usage: poick info <group> [--json]

One group's verdict, the reason in plain words, its evidence and its recent checks.
<group> is an id (from poick list --json) or a name, e.g. poick info PySilesia.`,
  options: {},
  async run(ctx, { positionals, json }) {
    const query = positionals.join(" ").trim();
    if (!query)
      throw new UsageError("Say which group: poick info <group>, for example poick info PySilesia.");
    const app = await ctx.app();
    const pick = await pickGroup(app.db, query);
    if (pick.kind !== "found") return groupNotPicked(ctx, query, pick);
    const g = pick.group;
    const [checks, channels] = await Promise.all([
      recentChecks(app.db, g.id, 10),
      listChannels(app.db, g.id),
    ]);
    if (json) {
      printJson(ctx, {
        ...groupJson(g),
        channels: channels.map((c) => ({ kind: c.kind, url: c.url, label: c.label })),
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
      });
      return 0;
    }
    const info = groupInfo(
      g,
      checks,
      channels,
      wordsFor("terminal", app.clock.now()),
      `run poick scan --group ${g.id}`,
    );
    ctx.io.stdout(`${infoText(info)}\n`);
    return 0;
  },
};
