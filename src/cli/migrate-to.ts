import { describeDatabase, isPostgresUrl, openDatabase } from "../db/connect.js";
import { copyDatabase } from "../jobs/migrate-to.js";
import { printJson, type Verb } from "./verb.js";

export const migrateToVerb: Verb = {
  name: "migrate-to",
  usage: "migrate-to DATABASE_URL      copy everything into PostgreSQL, verified",
  help: `Usage: poick migrate-to DATABASE_URL [--json]

Copies everything from this database (POICK_DB) into an empty PostgreSQL database, in batches and
in one transaction, then checks every table on both sides (row count and checksum). The target is
migrated first; it must hold no Poick data yet. Stop the bot first, and start it again with
DATABASE_URL set once this says the copy is verified (see docs/deploy.md).`,
  options: {},
  async run(ctx, { positionals, json }) {
    const [url, ...extra] = positionals;
    if (!url || extra.length || !isPostgresUrl(url)) {
      ctx.io.stderr(`${migrateToVerb.help}\n`);
      return 2;
    }
    const from = (await ctx.app()).db;
    const to = await openDatabase(url);
    try {
      let lastTable = "";
      const out = await copyDatabase(from, to, {
        onProgress: (table, done, total) => {
          if (json) return;
          if (table !== lastTable || done === total) ctx.io.stderr(`  ${table}: ${done}/${total}\n`);
          lastTable = table;
        },
      });
      if (json) printJson(ctx, out);
      if (out.kind === "target_not_empty") {
        ctx.io.stderr(
          `${describeDatabase(url)} already holds Poick data (${out.tables.join(", ")}). Copy into an empty database.\n`,
        );
        return 2;
      }
      if (out.kind === "mismatch") {
        ctx.io.stderr(
          `The copy of ${out.table} differs (${out.source.rows} rows here, ${out.target.rows} there). Nothing changed here; drop the target database and try again.\n`,
        );
        return 1;
      }
      if (!json) {
        const rows = out.tables.reduce((n, t) => n + t.rows, 0);
        ctx.io.stdout(
          `Copied and verified ${rows} rows in ${out.tables.length} tables to ${describeDatabase(url)} in ${(out.ms / 1000).toFixed(1)} s.\nNow start Poick with DATABASE_URL set to it.\n`,
        );
      }
      return 0;
    } finally {
      await to.destroy();
    }
  },
};
