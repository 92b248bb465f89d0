import { Events } from "discord.js";
import { createApp } from "./app.js";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { describeDatabase } from "./db/connect.js";
import { ensureGazetteer } from "./db/gazetteer.js";
import { hasAnyGroup } from "./db/groups.js";
import { createBot } from "./discord/client.js";
import { registerCommands } from "./discord/register.js";
import { RestNotifier } from "./discord/rest-notifier.js";
import { runShards } from "./discord/shards.js";
import { startDispatcher } from "./jobs/dispatch.js";
import { startLeadership } from "./jobs/leader.js";
import { startScheduler } from "./jobs/scheduler.js";
import { createLogger } from "./logger.js";

const NO_TOKEN = `Poick can't start the Discord bot: DISCORD_TOKEN is not set.

  1. Create an application at https://discord.com/developers/applications
  2. Under "Bot", copy the token; under "General Information", the application id.
  3. Put them in a .env file next to package.json:
       DISCORD_TOKEN=...
       DISCORD_APP_ID=...
  4. Run npm start again: it registers the slash commands and connects.

The poick command line works without Discord: try  npx poick sync  then  npx poick near Katowice`;

/** The bot: the application, plus the doors only a long-running process has (Discord, cron, delivery). */
async function main(config: Readonly<Config>): Promise<void> {
  const { token, appId } = config.discord;
  if (!token) {
    process.stderr.write(`${NO_TOKEN}\n`);
    process.exitCode = 2;
    return;
  }
  if (config.discord.shards !== null && !config.discord.isShard) {
    // This process only supervises the shards; each shard runs the code below.
    const logger = createLogger(config.logLevel, [token]);
    const manager = await runShards(config, process.argv[1] as string, logger);
    const stop = () => {
      for (const shard of manager.shards.values()) shard.kill();
      process.exit(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    return;
  }

  // Maps and charts are drawn in a child process: the bot's event loop and memory stay free of resvg.
  // A 2 MiB SQLite page cache instead of 16: the bot's look-ups are as fast, and its memory 14 MiB smaller.
  const app = await createApp(config, { pictures: "process", sqliteCacheMiB: 2 });
  const { db, clock, logger, jobs } = app;
  // Build the city index before Discord can ask: a first /pug near must not wait ~2 s for it.
  const gazetteer = await ensureGazetteer(db);
  logger.info(
    {
      db: describeDatabase(config.dbPath),
      cities: gazetteer.cities,
      builtMs: gazetteer.built ? gazetteer.ms : 0,
    },
    "database ready",
  );

  // A fresh database: read the wiki and check the groups once, in the background (the leader does it).
  const firstRun = () =>
    void (async () => {
      if (await hasAnyGroup(db)) return;
      const s = await jobs.sync();
      logger.info({ outcome: s.kind }, "first sync");
      if (s.kind === "synced") await jobs.scanAll();
    })().catch((err) => logger.error({ err }, "first sync failed"));

  // The schedule and the alert dispatcher run in exactly one process among all that share the
  // database (shards, or several bots on one PostgreSQL): the leader. Another takes over when it dies.
  const notifier = new RestNotifier({ token, api: config.discord.apiUrl });
  let background: { stop(): Promise<void> } | null = null;
  let kick = () => {};
  jobs.onQueued(() => kick());
  const leadership = startLeadership(
    { db, clock, logger },
    {
      ttlMs: config.discord.leaderTtlMs,
      onGain: () => {
        // Delivers what any process queued (this bot's jobs at once, a `poick scan` from cron within the interval).
        const dispatcher = startDispatcher(
          { db, clock, logger, notifier },
          { intervalMs: config.dispatch.intervalMs, leaseMs: config.dispatch.leaseMs },
        );
        const scheduler = startScheduler(
          [
            { name: "sync", cron: config.schedule.syncCron, run: () => jobs.sync() },
            { name: "scan", cron: config.schedule.scanCron, run: () => jobs.scanAll() },
            { name: "digest", cron: config.schedule.digestCron, run: () => jobs.digest() },
          ],
          { timezone: config.schedule.timezone, logger },
        );
        jobs.setSchedule((job) => scheduler.nextRun(job));
        kick = () => dispatcher.kick();
        background = {
          async stop() {
            kick = () => {};
            jobs.setSchedule(() => null);
            await scheduler.stop();
            await dispatcher.stop();
          },
        };
        firstRun();
      },
      onLose: async () => {
        await background?.stop();
        background = null;
      },
    },
  );

  const client = createBot(app, { token, apiUrl: config.discord.apiUrl });

  if (config.discord.registerOnStart || process.argv.includes("--register")) {
    // The application id comes from the config or, failing that, from Discord's READY.
    client.once(Events.ClientReady, (ready) => {
      if (ready.shard && !ready.shard.ids.includes(0)) return; // one shard registers for all
      const id = appId ?? ready.application.id;
      registerCommands({ token, appId: id, guildId: config.discord.guildId, apiUrl: config.discord.apiUrl })
        .then((r) => logger.info(r, "slash commands registered"))
        .catch((err) =>
          logger.error(
            { err: String((err as Error).message) },
            "could not register the slash commands; run `poick register` to retry",
          ),
        );
    });
  }

  let stopping = false;
  const shutdown = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    await leadership.stop();
    await client.destroy();
    await app.close();
    process.exit(code);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  // The last line of defence: one failed request must never end the bot.
  process.on("unhandledRejection", (err) =>
    logger.error({ err: String((err as Error)?.message ?? err) }, "unhandled rejection (kept running)"),
  );

  try {
    await client.login(token);
  } catch (err) {
    logger.error({ err: String((err as Error).message) }, "login failed");
    process.stderr.write(
      "Discord refused to log in. Check DISCORD_TOKEN (reset it in the developer portal if it leaked), then start again.\n",
    );
    await shutdown("login-failed", 1);
    return;
  }
}

let config: Readonly<Config>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`Configuration problem: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
await main(config);
