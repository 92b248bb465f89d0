import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { type Db, openDatabase } from "../../src/db/connect.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** A real SQLite file in a temp folder with the real migrations; removed after the test. */
export async function tempDb(): Promise<{ db: Db; path: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "poick-test-"));
  const path = join(dir, "poick.db");
  const db = await openDatabase(path);
  cleanups.push(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, path, dir };
}
