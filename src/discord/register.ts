import { REST, Routes } from "discord.js";
import { commandDefinitions } from "../commands/index.js";

export interface RegisterOptions {
  token: string;
  appId: string;
  guildId?: string;
  apiUrl?: string;
}

/** Bulk-overwrites the commands (idempotent): to one guild for instant updates, else globally. */
export async function registerCommands(
  o: RegisterOptions,
): Promise<{ scope: "guild" | "global"; count: number }> {
  const rest = new REST(o.apiUrl ? { api: o.apiUrl } : {}).setToken(o.token);
  const body = commandDefinitions();
  const route = o.guildId
    ? Routes.applicationGuildCommands(o.appId, o.guildId)
    : Routes.applicationCommands(o.appId);
  const result = (await rest.put(route, { body })) as unknown[];
  return { scope: o.guildId ? "guild" : "global", count: result.length };
}
