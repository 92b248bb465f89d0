import { Client, Events, GatewayIntentBits } from "discord.js";
import type { CommandDeps } from "../commands/types.js";
import { createInteractionHandler } from "./router.js";

export interface BotOptions {
  token: string;
  apiUrl?: string;
}

/** The discord.js client wired to our router. Only the Guilds intent: slash commands need nothing more. */
export function createBot(deps: CommandDeps, o: BotOptions): Client {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    allowedMentions: { parse: [] },
    ...(o.apiUrl ? { rest: { api: o.apiUrl } } : {}),
  });
  const handle = createInteractionHandler(deps);
  client.on(Events.InteractionCreate, (i) => void handle(i));
  client.once(Events.ClientReady, (c) =>
    deps.logger.info({ user: c.user.tag, guilds: c.guilds.cache.size }, "bot ready"),
  );
  client.on(Events.Error, (err) => deps.logger.error({ err }, "discord client error"));
  client.on(Events.Warn, (msg) => deps.logger.warn({ msg }, "discord client warning"));
  return client;
}
