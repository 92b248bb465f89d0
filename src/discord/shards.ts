import { REST, Routes, ShardingManager } from "discord.js";
import type { APIGatewayBotInfo } from "discord-api-types/v10";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";

/** Discord's recommended shard count, asked of the configured API (so a Discord-compatible server works too). */
async function recommendedShards(token: string, apiUrl: string | undefined): Promise<number> {
  const rest = new REST(apiUrl ? { api: apiUrl } : {}).setToken(token);
  const info = (await rest.get(Routes.gatewayBot())) as APIGatewayBotInfo;
  return Math.max(1, info.shards);
}

/**
 * Runs the bot as shards: this process only supervises (discord.js's ShardingManager, one child
 * process per shard, respawned when one dies). Every shard answers its guilds' commands; the shards
 * agree through the database which one runs the schedule and delivers alerts (see jobs/leader.ts).
 */
export async function runShards(
  config: Readonly<Config>,
  script: string,
  logger: Logger,
): Promise<ShardingManager> {
  const { token, apiUrl, shards } = config.discord;
  if (!token || shards === null) throw new Error("runShards needs DISCORD_TOKEN and POICK_SHARDS");
  const total = shards === "auto" ? await recommendedShards(token, apiUrl) : shards;
  const manager = new ShardingManager(script, {
    token,
    totalShards: total,
    respawn: true,
    mode: "process",
    // The children run like this process (e.g. under a TypeScript loader in development).
    execArgv: process.execArgv,
  });
  manager.on("shardCreate", (shard) => {
    logger.info({ shard: shard.id, of: total }, "shard started");
    shard.on("death", () => logger.warn({ shard: shard.id }, "shard process ended; respawning"));
  });
  await manager.spawn({ amount: total, delay: 1000, timeout: 120_000 });
  return manager;
}
