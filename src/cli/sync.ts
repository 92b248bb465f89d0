import { wordsFor } from "../present/medium.js";
import { syncSummary } from "../present/outcomes.js";
import { printJson, str, type Verb } from "./verb.js";

export const syncVerb: Verb = {
  name: "sync",
  usage: "sync [--source URL|PATH]     refresh the group list from the Python wiki (or a saved copy)",
  help: `Usage: poick sync [--source URL|PATH] [--force] [--json]

Reads the list of local user groups (default: POICK_WIKI_URL, the Python wiki's LocalUserGroups page),
places every group on the map and updates the database. Groups that left the list are marked
removed, never deleted. If the page looks broken (far fewer groups than recent syncs found),
nothing is changed and the command exits with status 3. Alerts about the change are queued for the
bot, exactly as when the bot syncs itself.

  --source URL|PATH   another URL, or a saved page (HTML, MyST Markdown or MoinMoin markup; works offline)
  --force             fetch even if the wiki says the page is unchanged`,
  options: { source: { type: "string" }, force: { type: "boolean" } },
  async run(ctx, { values, json }) {
    const app = await ctx.app();
    const source = str(values.source);
    if (!json) ctx.io.stderr(`Syncing from ${source ?? ctx.config.wikiUrl} …\n`);
    const outcome = await app.jobs.sync({ source, force: Boolean(values.force) });
    if (json) printJson(ctx, outcome);
    const text = syncSummary(outcome, wordsFor("terminal", app.clock.now()));
    switch (outcome.kind) {
      case "synced":
      case "unchanged":
        if (!json) ctx.io.stdout(`${text}\n`);
        return 0;
      case "refused":
        ctx.io.stderr(`${text}\n`);
        return 3;
      case "busy":
        ctx.io.stderr(`${text}\n`);
        return 5;
      case "failed":
        ctx.io.stderr(`${text}\n`);
        return 1;
    }
  },
};
