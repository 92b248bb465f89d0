import { backupSqlite } from "../jobs/backup.js";
import { printJson, type Verb } from "./verb.js";

export const backupVerb: Verb = {
  name: "backup",
  usage: "backup FILE                  a consistent copy of the SQLite database, while the bot runs",
  help: `Usage: poick backup FILE [--overwrite] [--json]

Writes a consistent copy of the SQLite database to FILE while the bot keeps running (VACUUM INTO),
checks it, and only then gives it that name. PostgreSQL is backed up with pg_dump instead
(see docs/deploy.md).`,
  options: { overwrite: { type: "boolean" } },
  async run(ctx, { values, positionals, json }) {
    const [file, ...extra] = positionals;
    if (!file || extra.length) {
      ctx.io.stderr(`${backupVerb.help}\n`);
      return 2;
    }
    const app = await ctx.app();
    const out = await backupSqlite(app.db, file, { overwrite: values.overwrite === true });
    if (json) printJson(ctx, out);
    if (out.kind === "not_sqlite") {
      ctx.io.stderr("This database is PostgreSQL: back it up with pg_dump (see docs/deploy.md).\n");
      return 2;
    }
    if (out.kind === "exists") {
      ctx.io.stderr(`${out.file} already exists. Pick another name, or add --overwrite.\n`);
      return 2;
    }
    if (!json)
      ctx.io.stdout(
        `Backed up ${out.groups} groups to ${out.file} (${(out.bytes / 1_048_576).toFixed(1)} MB) in ${(out.ms / 1000).toFixed(1)} s.\n`,
      );
    return 0;
  },
};
