import type { SlashCommand } from "./define.js";
import { pug } from "./pug.js";
import { pugAdmin } from "./pug-admin.js";
import { nearButtons } from "./pug-near.js";
import { searchButtons } from "./pug-search.js";
import type { ButtonHandler } from "./types.js";

/** The static registry: every slash command and button family the bot answers. */
export const COMMANDS: readonly SlashCommand[] = [pug, pugAdmin];
export const BUTTONS: readonly ButtonHandler[] = [nearButtons, searchButtons];

export const commandDefinitions = () => COMMANDS.map((c) => c.data);
