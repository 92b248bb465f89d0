import { discordTime, relativeTime, safeText } from "../text/toolkit.js";

/** Where words go: a terminal shows plain text; Discord renders markdown and timestamps. */
export type Medium = "terminal" | "discord";

export interface Words {
  medium: Medium;
  /** Text from the wiki or a user, made safe for this medium. */
  text(s: string): string;
  bold(s: string): string;
  /** A moment: relative in a terminal, a Discord timestamp in Discord. */
  when(iso: string, style?: "R" | "D"): string;
}

export function wordsFor(medium: Medium, now: Date): Words {
  if (medium === "discord")
    return {
      medium,
      text: (s) => safeText(s),
      bold: (s) => `**${s}**`,
      when: (iso, style) => discordTime(iso, style),
    };
  return {
    medium,
    text: (s) => s,
    bold: (s) => s,
    when: (iso, style) =>
      style === "D" ? `${iso.slice(0, 10)} (${relativeTime(iso, now)})` : relativeTime(iso, now),
  };
}
