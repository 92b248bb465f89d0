import type {
  APIActionRowComponent,
  APIApplicationCommandOptionChoice,
  APIComponentInMessageActionRow,
  APIEmbed,
} from "discord-api-types/v10";
import type { App } from "../app.js";

/** A message as commands build it: plain Discord API JSON, no discord.js classes. */
export interface Reply {
  content?: string;
  embeds?: APIEmbed[];
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
  ephemeral?: boolean;
  /** The message's files; given (even empty), they replace the ones an edited message had. */
  files?: { name: string; data: Buffer }[];
}

export interface Invocation {
  userId: string;
  guildId: string | null;
  channelId: string | null;
  /** The member's permissions in this channel, or null in DMs. */
  permissions: bigint | null;
}

export interface Responder {
  reply(r: Reply): Promise<void>;
  defer(ephemeral: boolean): Promise<void>;
  edit(r: Reply): Promise<void>;
  followUp(r: Reply): Promise<void>;
  /** For component interactions: replace the message the button sits on. */
  update(r: Reply): Promise<void>;
}

/** What a command may use: the application's database, clock, logger, use cases and pictures. */
export type CommandDeps = Pick<App, "db" | "clock" | "logger" | "jobs" | "pictures">;

export type Choice = APIApplicationCommandOptionChoice<string>;

/** Button handlers are found by the first segment of the custom_id. */
export interface ButtonHandler {
  prefix: string;
  execute(deps: CommandDeps, inv: Invocation, args: string[], res: Responder): Promise<void>;
}

/** An error whose message is meant for the user (shown ephemerally); anything else gets a generic reply. */
export class UserError extends Error {
  override name = "UserError";
}
