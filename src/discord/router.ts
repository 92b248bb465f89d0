import {
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type InteractionEditReplyOptions,
  type InteractionReplyOptions,
  MessageFlags,
} from "discord.js";
import { BUTTONS, COMMANDS } from "../commands/index.js";
import { clampEmbeds, clip, LIMITS } from "../commands/limits.js";
import {
  type CommandDeps,
  type Invocation,
  type Options,
  type Reply,
  type Responder,
  UserError,
} from "../commands/types.js";

const GENERIC_ERROR = "Something went wrong on my side. It has been logged; please try again in a minute.";

function invocationOf(i: Interaction): Invocation {
  return {
    userId: i.user.id,
    guildId: i.guildId,
    channelId: i.channelId,
    permissions: i.inGuild() && i.memberPermissions ? i.memberPermissions.bitfield : null,
  };
}

function optionsOf(i: ChatInputCommandInteraction | AutocompleteInteraction): Options {
  const o = i.options;
  return {
    subcommand: o.getSubcommand(false),
    group: o.getSubcommandGroup(false),
    string: (n) => {
      const v = o.get(n)?.value;
      return typeof v === "string" ? v : null;
    },
    integer: (n) => {
      const v = o.get(n)?.value;
      return typeof v === "number" && Number.isInteger(v) ? v : null;
    },
    boolean: (n) => {
      const v = o.get(n)?.value;
      return typeof v === "boolean" ? v : null;
    },
    channel: (n) => {
      const opt = o.get(n);
      if (!opt || typeof opt.value !== "string") return null;
      return { id: opt.value, type: opt.channel?.type ?? -1 };
    },
  };
}

/** Reply (our plain shape) -> discord.js message options, always within limits and pinging no one. */
export function toMessage(r: Reply) {
  return {
    content: r.content !== undefined ? clip(r.content, LIMITS.content) : undefined,
    embeds: r.embeds ? clampEmbeds(r.embeds) : undefined,
    components: r.components,
    files: r.files?.map((f) => ({ attachment: f.data, name: f.name })),
    allowedMentions: { parse: [] as never[] },
  };
}

function responderFor(i: ChatInputCommandInteraction | ButtonInteraction): Responder {
  return {
    async reply(r) {
      if (i.deferred || i.replied) {
        await i.editReply(toMessage(r) as InteractionEditReplyOptions);
        return;
      }
      await i.reply({
        ...toMessage(r),
        flags: r.ephemeral ? MessageFlags.Ephemeral : undefined,
      } as InteractionReplyOptions);
    },
    async defer(ephemeral) {
      if (!i.deferred && !i.replied)
        await i.deferReply({ flags: ephemeral ? MessageFlags.Ephemeral : undefined });
    },
    async edit(r) {
      await i.editReply(toMessage(r) as InteractionEditReplyOptions);
    },
    async followUp(r) {
      await i.followUp({
        ...toMessage(r),
        flags: r.ephemeral ? MessageFlags.Ephemeral : undefined,
      } as InteractionReplyOptions);
    },
    async update(r) {
      if (i.isButton()) await i.update(toMessage(r));
      else await i.editReply(toMessage(r) as InteractionEditReplyOptions);
    },
  };
}

async function fail(i: ChatInputCommandInteraction | ButtonInteraction, message: string): Promise<void> {
  const body = { content: clip(message, LIMITS.content), allowedMentions: { parse: [] as never[] } };
  if (i.deferred || i.replied) await i.followUp({ ...body, flags: MessageFlags.Ephemeral });
  else await i.reply({ ...body, flags: MessageFlags.Ephemeral });
}

/** Routes every interaction to its command, autocomplete or button handler. Nothing a user sends can throw out of here. */
export function createInteractionHandler(deps: CommandDeps) {
  const byName = new Map(COMMANDS.map((c) => [c.data.name, c]));
  const byPrefix = new Map(BUTTONS.map((b) => [b.prefix, b]));
  const { logger } = deps;

  return async (i: Interaction): Promise<void> => {
    const started = performance.now();
    try {
      if (i.isAutocomplete()) {
        const cmd = byName.get(i.commandName);
        let choices: { name: string; value: string }[] = [];
        try {
          const focused = i.options.getFocused(true);
          choices =
            (await cmd?.autocomplete?.(deps, invocationOf(i), optionsOf(i), {
              name: focused.name,
              value: String(focused.value),
            })) ?? [];
        } catch (err) {
          logger.warn({ err, command: i.commandName }, "autocomplete failed");
        }
        await i.respond(choices.slice(0, LIMITS.choices));
        return;
      }
      if (i.isChatInputCommand()) {
        const cmd = byName.get(i.commandName);
        if (!cmd) return fail(i, "I don't know that command any more. It may have been removed; try `/pug`.");
        try {
          await cmd.execute(deps, invocationOf(i), optionsOf(i), responderFor(i));
        } catch (err) {
          if (err instanceof UserError) return fail(i, err.message);
          logger.error({ err, command: i.commandName }, "command failed");
          return fail(i, GENERIC_ERROR);
        }
        return;
      }
      if (i.isButton()) {
        const [prefix, owner, ...rest] = i.customId.split(":");
        const handler = byPrefix.get(prefix ?? "");
        if (!handler || !owner) return fail(i, "This button no longer works. Run the command again.");
        if (owner !== i.user.id)
          return fail(
            i,
            "Only the person who ran this command can turn its pages. Run it yourself to get your own copy.",
          );
        try {
          await handler.execute(deps, invocationOf(i), [owner, ...rest], responderFor(i));
        } catch (err) {
          if (err instanceof UserError) return fail(i, err.message);
          logger.error({ err, customId: i.customId }, "button failed");
          return fail(i, GENERIC_ERROR);
        }
      }
    } catch (err) {
      // Discord itself refused our answer (expired token, missing access): log, never crash.
      logger.warn({ err }, "could not answer an interaction");
    } finally {
      logger.debug({ ms: Math.round(performance.now() - started), type: i.type }, "interaction handled");
    }
  };
}
