import type {
  APIActionRowComponent,
  APIApplicationCommandOptionChoice,
  APIComponentInMessageActionRow,
  APIEmbed,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from "discord-api-types/v10";
import type { Clock } from "../clock.js";
import type { Db } from "../db/connect.js";
import type { AdminJobs } from "../jobs/admin.js";
import type { Logger } from "../logger.js";

/** A message as commands build it: plain Discord API JSON, no discord.js classes. */
export interface Reply {
  content?: string;
  embeds?: APIEmbed[];
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
  ephemeral?: boolean;
  files?: { name: string; data: Buffer }[];
}

export interface Invocation {
  userId: string;
  guildId: string | null;
  channelId: string | null;
  /** The member's permissions in this channel, or null in DMs. */
  permissions: bigint | null;
}

export interface Options {
  subcommand: string | null;
  group: string | null;
  string(name: string): string | null;
  integer(name: string): number | null;
  boolean(name: string): boolean | null;
  channel(name: string): { id: string; type: number } | null;
}

export interface Responder {
  reply(r: Reply): Promise<void>;
  defer(ephemeral: boolean): Promise<void>;
  edit(r: Reply): Promise<void>;
  followUp(r: Reply): Promise<void>;
  /** For component interactions: replace the message the button sits on. */
  update(r: Reply): Promise<void>;
}

export interface CommandDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  jobs: AdminJobs;
}

export type Choice = APIApplicationCommandOptionChoice<string>;

export interface SlashCommand {
  data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  execute(deps: CommandDeps, inv: Invocation, opts: Options, res: Responder): Promise<void>;
  autocomplete?(
    deps: CommandDeps,
    inv: Invocation,
    opts: Options,
    focused: { name: string; value: string },
  ): Promise<Choice[]>;
}

/** Button handlers are found by the first segment of the custom_id. */
export interface ButtonHandler {
  prefix: string;
  execute(deps: CommandDeps, inv: Invocation, args: string[], res: Responder): Promise<void>;
}

/** An error whose message is meant for the user (shown ephemerally); anything else gets a generic reply. */
export class UserError extends Error {
  override name = "UserError";
}
