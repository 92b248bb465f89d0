import type { APIEmbed } from "discord-api-types/v10";
import { clampEmbed, clip, DISCORD_LIMITS, embedSize, safeText } from "../alerts/format.js";

// One set of Discord limits and text-safety rules for alerts and command replies alike.
export { clampEmbed, clip };

export const LIMITS = {
  ...DISCORD_LIMITS,
  choiceName: 100,
  choiceValue: 100,
  choices: 25,
  customId: 100,
} as const;

/** Text from the wiki or a user: no markdown tricks, no pings, no hidden characters. */
export const escapeText = (s: string): string => safeText(s);

/** At most 10 embeds sharing the 6000-character budget of one message. */
export function clampEmbeds(embeds: APIEmbed[]): APIEmbed[] {
  const out: APIEmbed[] = [];
  let left: number = LIMITS.embedTotal;
  for (const e of embeds.slice(0, LIMITS.embeds)) {
    if (left <= 0) break;
    const c = clampEmbed(e, left);
    left -= embedSize(c);
    out.push(c);
  }
  return out;
}

export const discordTime = (iso: string, style: "R" | "D" | "f" = "R") =>
  `<t:${Math.floor(Date.parse(iso) / 1000)}:${style}>`;
