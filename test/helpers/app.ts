import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { type App, createApp } from "../../src/app.js";
import type { Clock } from "../../src/clock.js";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/logger.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** The real application (as the bot and the CLI build it) on a temp database; closed after the test. */
export async function testApp(env: Record<string, string> = {}, clock?: Clock): Promise<App> {
  const dir = mkdtempSync(join(tmpdir(), "poick-app-"));
  const config = loadConfig(
    { POICK_DB: join(dir, "poick.db"), POICK_CANARY_URLS: "", POICK_ALLOW_NETS: "127.0.0.0/8", ...env },
    null,
  );
  const app = await createApp(config, { logger: silentLogger, clock });
  cleanups.push(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return app;
}
