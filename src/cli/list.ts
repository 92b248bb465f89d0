import { listActiveGroups } from "../db/groups.js";
import { isStatus, STATUSES } from "../liveness/status.js";
import { groupJson, renderGroupTable } from "../present/groups.js";
import { printJson, str, UsageError, type Verb } from "./verb.js";

export const listVerb: Verb = {
  name: "list",
  usage: "list [--status S]            every group with its place and status",
  help: `Usage: poick list [--status ${STATUSES.join("|")}] [--json]

Lists every group in the database with its place and status.`,
  options: { status: { type: "string" } },
  async run(ctx, { values, json }) {
    const status = str(values.status);
    if (status !== undefined && !isStatus(status))
      throw new UsageError(`--status must be one of ${STATUSES.join(", ")}.`);
    const app = await ctx.app();
    const groups = await listActiveGroups(app.db, status ? { status } : {});
    if (json) {
      printJson(ctx, groups.map(groupJson));
      return 0;
    }
    if (groups.length === 0) {
      ctx.io.stdout("No groups yet. Run `poick sync` to read the wiki.\n");
      return 0;
    }
    ctx.io.stdout(`${renderGroupTable(groups)}\n${groups.length} groups.\n`);
    return 0;
  },
};
