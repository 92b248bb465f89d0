import { ApplicationCommandType, InteractionContextType } from "discord-api-types/v10";
import { type CommandData, defineCommand } from "./define.js";
import { autocompleteGroup, executeInfo, infoSubcommand } from "./pug-info.js";
import { answerMap, autocompleteRegion, mapSubcommand } from "./pug-map.js";
import { answerNear, autocompletePlace, nearSubcommand } from "./pug-near.js";
import { executeSearch, searchSubcommand } from "./pug-search.js";
import { answerStats, statsSubcommand } from "./pug-stats.js";

export const pugData = {
  name: "pug",
  type: ApplicationCommandType.ChatInput,
  description: "Find Python user groups that are still alive",
  contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
  options: [nearSubcommand, searchSubcommand, infoSubcommand, statsSubcommand, mapSubcommand],
} as const satisfies CommandData;

/** `/pug`: everything a member can ask. Answers come from the database; nothing waits on the network. */
export const pug = defineCommand({
  data: pugData,
  handlers: {
    near: async ({ deps, inv }, a, res) =>
      answerNear(deps, inv, { place: a.place, radiusKm: a.radius_km, show: a.show }, res),
    search: async ({ deps, inv }, a, res) => res.reply(await executeSearch(deps, inv, a.query)),
    info: async ({ deps }, a, res) => res.reply(await executeInfo(deps, a.group)),
    stats: async ({ deps }, a, res) => answerStats(deps, { country: a.country, continent: a.continent }, res),
    map: async ({ deps }, a, res) => answerMap(deps, a, res),
  },
  autocomplete: {
    place: (deps, value) => autocompletePlace(deps, value),
    group: (deps, value) => autocompleteGroup(deps, value),
    region: async (_deps, value) => autocompleteRegion(value),
  },
});
