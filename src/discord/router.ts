import {
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  DiscordAPIError,
  type Interaction,
  type InteractionEditReplyOptions,
  type InteractionReplyOptions,
  MessageFlags,
} from "discord.js";
import type { RawOptions } from "../commands/define.js";
import { BUTTONS, COMMANDS } from "../commands/index.js";
import {
  type CommandDeps,
  type Invocation,
  type Reply,
  type Responder,
  UserError,
} from "../commands/types.js";
import type { Logger } from "../logger.js";
import { clampEmbeds, DISCORD_LIMITS } from "../text/discord-limits.js";
import { clip } from "../text/toolkit.js";

const GENERIC_ERROR = "Something went wrong on my side. It has been logged; please try again in a minute.";
/** Discord wants an answer within 3 s; anything still working after this is deferred first. */
const AUTO_DEFER_MS = 1500;

function invocationOf(i: Interaction): Invocation {
  return {
    userId: i.user.id,
    guildId: i.guildId,
    channelId: i.channelId,
    permissions: i.inGuild() && i.memberPermissions ? i.memberPermissions.bitfield : null,
  };
}

function rawOptionsOf(i: ChatInputCommandInteraction | AutocompleteInteraction): RawOptions {
  const o = i.options;
  return {
    subcommand: o.getSubcommand(false),
    group: o.getSubcommandGroup(false),
    get: (name) => {
      const opt = o.get(name);
      return opt ? { value: opt.value, channelType: opt.channel?.type } : null;
    },
  };
}

/** Reply (our plain shape) -> discord.js message options, always within limits and pinging no one. */
export function toMessage(r: Reply) {
  return {
    content: r.content !== undefined ? clip(r.content, DISCORD_LIMITS.content) : undefined,
    embeds: r.embeds ? clampEmbeds(r.embeds) : undefined,
    components: r.components,
    files: r.files?.map((f) => ({ attachment: f.data, name: f.name })),
    // Given files are all the message's files: an edit or update drops the ones it had (Discord keeps
    // a message's attachments unless told which to keep, and shows a kept picture beside the embed).
    ...(r.files && { attachments: [] }),
    allowedMentions: { parse: [] as never[] },
  };
}

/** What to log about a failed Discord call: code, status and method — never the URL, which holds the token. */
export function discordErrorFields(err: unknown): Record<string, unknown> {
  if (err instanceof DiscordAPIError)
    return { code: err.code, status: err.status, method: err.method, message: err.message };
  return { message: String((err as Error)?.message ?? err) };
}

const withFlags = (r: Reply) =>
  ({ ...toMessage(r), flags: r.ephemeral ? MessageFlags.Ephemeral : undefined }) as InteractionReplyOptions;

/** A defer the safety net started; every answer waits for it, so the two can't cross. */
interface Pending {
  defer: Promise<void> | null;
  /** The handler has started answering: the safety net stays out of the way. */
  answering: boolean;
}

function responderFor(i: ChatInputCommandInteraction | ButtonInteraction, pending: Pending): Responder {
  const settled = async () => {
    pending.answering = true;
    await pending.defer;
  };
  return {
    async reply(r) {
      await settled();
      if (i.deferred || i.replied) {
        await i.editReply(toMessage(r) as InteractionEditReplyOptions);
        return;
      }
      await i.reply(withFlags(r));
    },
    async defer(ephemeral) {
      await settled();
      if (!i.deferred && !i.replied)
        await i.deferReply({ flags: ephemeral ? MessageFlags.Ephemeral : undefined });
    },
    async edit(r) {
      await settled();
      await i.editReply(toMessage(r) as InteractionEditReplyOptions);
    },
    async followUp(r) {
      await settled();
      await i.followUp(withFlags(r));
    },
    async update(r) {
      await settled();
      if (i.isButton() && !i.deferred && !i.replied) await i.update(toMessage(r));
      else await i.editReply(toMessage(r) as InteractionEditReplyOptions);
    },
  };
}

/** An ephemeral note to the user; if Discord refuses even that (expired, no access), log and move on. */
async function tell(i: ChatInputCommandInteraction | ButtonInteraction, message: string, logger: Logger) {
  const body = { content: clip(message, DISCORD_LIMITS.content), allowedMentions: { parse: [] as never[] } };
  try {
    if (i.deferred || i.replied) await i.followUp({ ...body, flags: MessageFlags.Ephemeral });
    else await i.reply({ ...body, flags: MessageFlags.Ephemeral });
  } catch (err) {
    logger.warn({ discord: discordErrorFields(err) }, "could not tell the user about a problem");
  }
}

/**
 * Runs one handler with a safety net: defers when it is slow, and turns every failure into a log line
 * and (when Discord still lets us) a friendly note. Nothing a user sends, and nothing Discord answers,
 * can throw out of here.
 */
async function guarded(
  i: ChatInputCommandInteraction | ButtonInteraction,
  logger: Logger,
  what: Record<string, unknown>,
  run: (res: Responder) => Promise<void>,
): Promise<void> {
  const pending: Pending = { defer: null, answering: false };
  const res = responderFor(i, pending);
  const timer = setTimeout(() => {
    if (i.deferred || i.replied || pending.answering) return;
    pending.defer = (i.isButton() ? i.deferUpdate() : i.deferReply())
      .then(() => undefined)
      .catch((err) =>
        logger.warn({ ...what, discord: discordErrorFields(err) }, "could not defer a slow answer"),
      );
  }, AUTO_DEFER_MS);
  timer.unref();
  try {
    await run(res);
  } catch (err) {
    if (err instanceof UserError) return await tell(i, err.message, logger);
    if (err instanceof DiscordAPIError) {
      // Expired or unknown interaction (10062), already answered (40060), missing access, Discord's 5xx.
      logger.warn({ ...what, discord: discordErrorFields(err) }, "Discord refused our answer");
      return;
    }
    logger.error({ ...what, err }, "command failed");
    await tell(i, GENERIC_ERROR, logger);
  } finally {
    clearTimeout(timer);
  }
}

/** Routes every interaction to its command, autocomplete or button handler. */
export function createInteractionHandler(deps: CommandDeps) {
  const byName = new Map(COMMANDS.map((c) => [c.data.name, c]));
  const byPrefix = new Map(BUTTONS.map((b) => [b.prefix, b]));
  const { logger } = deps;

  const handle = async (i: Interaction): Promise<void> => {
    if (i.isAutocomplete()) {
      let choices: { name: string; value: string }[] = [];
      try {
        const focused = i.options.getFocused(true);
        choices =
          (await byName.get(i.commandName)?.autocomplete?.(deps, invocationOf(i), rawOptionsOf(i), {
            name: focused.name,
            value: String(focused.value),
          })) ?? [];
      } catch (err) {
        logger.warn({ err, command: i.commandName }, "autocomplete failed");
      }
      await i.respond(choices.slice(0, DISCORD_LIMITS.choices));
      return;
    }
    if (i.isChatInputCommand()) {
      const cmd = byName.get(i.commandName);
      if (!cmd)
        return await tell(
          i,
          "I don't know that command any more. It may have been removed; try `/pug`.",
          logger,
        );
      return await guarded(i, logger, { command: i.commandName }, (res) =>
        cmd.run(deps, invocationOf(i), rawOptionsOf(i), res),
      );
    }
    if (i.isButton()) {
      const [prefix, owner, ...rest] = i.customId.split(":");
      const handler = byPrefix.get(prefix ?? "");
      if (!handler || !owner)
        return await tell(i, "This button no longer works. Run the command again.", logger);
      if (owner !== i.user.id)
        return await tell(
          i,
          "Only the person who ran this command can turn its pages. Run it yourself to get your own copy.",
          logger,
        );
      return await guarded(i, logger, { button: prefix }, (res) =>
        handler.execute(deps, invocationOf(i), [owner, ...rest], res),
      );
    }
  };

  return async (i: Interaction): Promise<void> => {
    const started = performance.now();
    try {
      await handle(i);
    } catch (err) {
      // Discord itself refused (an expired autocomplete, a lost connection): log, never crash.
      logger.warn({ discord: discordErrorFields(err), type: i.type }, "could not answer an interaction");
    } finally {
      logger.debug({ ms: Math.round(performance.now() - started), type: i.type }, "interaction handled");
    }
  };
}
