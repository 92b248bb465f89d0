import type { Verb } from "./verb.js";

export const registerVerb: Verb = {
  name: "register",
  usage: "register                     register the Discord slash commands",
  help: `Usage: poick register

Registers the slash commands with Discord (DISCORD_TOKEN and DISCORD_APP_ID; DISCORD_GUILD_ID
registers to one server, instantly). The bot also does this at every start unless
POICK_REGISTER_ON_START=0.`,
  options: {},
  async run(ctx) {
    const { token, appId, guildId, apiUrl } = ctx.config.discord;
    if (!token || !appId) {
      ctx.io.stderr(
        "To register the slash commands, set DISCORD_TOKEN and DISCORD_APP_ID (from https://discord.com/developers/applications → your app). Add DISCORD_GUILD_ID to register to one server instantly.\n",
      );
      return 2;
    }
    try {
      // Loaded here, not at the top: discord.js is 40 MB of every other verb's memory (a 100,000-group sync).
      const { registerCommands } = await import("../discord/register.js");
      const r = await registerCommands({ token, appId, guildId, apiUrl });
      ctx.io.stdout(
        r.scope === "guild"
          ? `Registered ${r.count} commands to server ${guildId}. They are usable right away.\n`
          : `Registered ${r.count} commands globally. Discord may take up to an hour to show them everywhere.\n`,
      );
      return 0;
    } catch (err) {
      const msg = String((err as Error).message)
        .split(token)
        .join("[redacted]");
      ctx.io.stderr(`Discord refused the registration: ${msg}\nCheck DISCORD_TOKEN and DISCORD_APP_ID.\n`);
      return 1;
    }
  },
};
