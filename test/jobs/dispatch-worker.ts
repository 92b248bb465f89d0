// A second process for the dispatch race test: runs dispatchAlerts on the given database file and
// prints every send it made (channel and nonce) as one JSON line.
import type { SendResult } from "../../src/alerts/notifier.js";
import { systemClock } from "../../src/clock.js";
import { openDatabase } from "../../src/db/connect.js";
import { dispatchAlerts } from "../../src/jobs/dispatch.js";
import { silentLogger } from "../../src/logger.js";

const [path, name = "w", startAt = "0"] = process.argv.slice(2);
if (!path) throw new Error("usage: dispatch-worker <db path> [name] [start at, epoch ms]");
const db = await openDatabase(path);
// All workers start sending at the same moment, so they really race.
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
const calls: { channelId: string; nonce: string }[] = [];
let n = 0;
const notifier = {
  async send(channelId: string, _message: unknown, nonce: string): Promise<SendResult> {
    calls.push({ channelId, nonce });
    await new Promise((r) => setTimeout(r, 5));
    return { ok: true, messageId: `${name}-${n++}` };
  },
};
const result = await dispatchAlerts({ db, clock: systemClock, logger: silentLogger, notifier }, { limit: 3 });
await db.destroy();
process.stdout.write(`${JSON.stringify({ result, calls })}\n`);
