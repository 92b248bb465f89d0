import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/connect.js";
import { backupSqlite } from "../../src/jobs/backup.js";
import { onPostgres, tempDb, tempSqliteDb } from "../helpers/db.js";
import { seedGroups } from "../helpers/seed.js";

describe("backup of a SQLite database", () => {
  it("writes one consistent file while another connection keeps writing, and refuses to overwrite", async () => {
    const { db, path, dir } = await tempSqliteDb();
    await seedGroups(
      db,
      Array.from({ length: 300 }, (_, i) => ({ name: `G${i}`, url: `https://g${i}.example/` })),
    );
    // Another process's writes (the bot) go on during the backup: WAL lets them.
    const writer = await openDatabase(path);
    let writes = 0;
    let stop = false;
    const writing = (async () => {
      while (!stop) {
        await writer
          .insertInto("events")
          .values({ group_id: "x", kind: "new", at: new Date().toISOString(), detail: "{}" })
          .execute();
        writes++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const file = join(dir, "backups", "poick-backup.db");
    mkdirSync(join(dir, "backups"));
    const out = await backupSqlite(db, file);
    stop = true;
    await writing;
    await writer.destroy();
    expect(out).toMatchObject({ kind: "done", file, groups: 300 });
    expect(writes).toBeGreaterThan(0);
    // Just the file: no -wal/-shm and no temporary left beside it.
    expect(readdirSync(join(dir, "backups"))).toEqual(["poick-backup.db"]);
    const copy = await openDatabase(file);
    try {
      expect(await copy.selectFrom("groups").select("id").execute()).toHaveLength(300);
    } finally {
      await copy.destroy();
    }
    expect(await backupSqlite(db, file)).toEqual({ kind: "exists", file });
    writeFileSync(join(dir, "other.db"), "");
    expect((await backupSqlite(db, join(dir, "other.db"), { overwrite: true })).kind).toBe("done");
  });

  it.runIf(onPostgres)("says PostgreSQL is backed up with pg_dump", async () => {
    const { db, dir } = await tempDb();
    expect(await backupSqlite(db, join(dir, "x.db"))).toEqual({ kind: "not_sqlite" });
    expect(existsSync(join(dir, "x.db"))).toBe(false);
  });
});
