import { ApplicationCommandType, InteractionContextType } from "discord-api-types/v10";
import { autocompleteGroup, executeInfo, infoSubcommand } from "./pug-info.js";
import { executeMap, mapSubcommand } from "./pug-map.js";
import { autocompletePlace, executeNear, nearSubcommand } from "./pug-near.js";
import { executeSearch, searchSubcommand } from "./pug-search.js";
import { executeStats, statsSubcommand } from "./pug-stats.js";
import { type SlashCommand, UserError } from "./types.js";

/** `/pug`: everything a member can ask. Answers come from the database; nothing waits on the network. */
export const pug: SlashCommand = {
  data: {
    name: "pug",
    type: ApplicationCommandType.ChatInput,
    description: "Find Python user groups that are still alive",
    contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
    options: [nearSubcommand, searchSubcommand, infoSubcommand, statsSubcommand, mapSubcommand],
  },
  async execute(deps, inv, opts, res) {
    switch (opts.subcommand) {
      case "near":
        return res.reply(
          await executeNear(deps, inv, {
            place: opts.string("place") ?? "",
            radiusKm: opts.integer("radius_km"),
            show: opts.string("show"),
          }),
        );
      case "search":
        return res.reply(await executeSearch(deps, inv, opts.string("query") ?? ""));
      case "info":
        return res.reply(await executeInfo(deps, opts.string("group") ?? ""));
      case "stats":
        return res.reply(
          await executeStats(deps, { country: opts.string("country"), continent: opts.string("continent") }),
        );
      case "map":
        return res.reply(await executeMap(deps, opts.string("show")));
      default:
        throw new UserError("I don't know that subcommand. Try `/pug near`.");
    }
  },
  async autocomplete(deps, _inv, opts, focused) {
    if (opts.subcommand === "near" && focused.name === "place") return autocompletePlace(deps, focused.value);
    if (opts.subcommand === "info" && focused.name === "group") return autocompleteGroup(deps, focused.value);
    return [];
  },
};
