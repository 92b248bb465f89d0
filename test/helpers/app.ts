import { afterEach } from "vitest";
import { type App, createApp } from "../../src/app.js";
import type { Clock } from "../../src/clock.js";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/logger.js";
import { newDatabase } from "./db.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/**
 * The real application (as the bot and the CLI build it) on a fresh test database (SQLite, or
 * PostgreSQL when DATABASE_URL is set); `dir` is a temp folder for the test's files. Closed after the test.
 */
export async function testApp(
  env: Record<string, string> = {},
  clock?: Clock,
): Promise<App & { dir: string }> {
  const t = await newDatabase();
  const config = loadConfig(
    { ...t.env, POICK_CANARY_URLS: "", POICK_ALLOW_NETS: "127.0.0.0/8", ...env },
    null,
  );
  const app = await createApp(config, { logger: silentLogger, clock });
  // Vitest runs after-hooks in reverse: this one (app.ts) before db.ts drops the database.
  cleanups.push(() => app.close());
  return Object.assign(app, { dir: t.dir });
}
