import type { APIEmbed, APIEmbedField, RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import { clip, safeUrl, validIso } from "./toolkit.js";

/** Discord's hard limits on a message (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fieldName: 256,
  fieldValue: 1024,
  fields: 25,
  footer: 2048,
  author: 256,
  embedTotal: 6000,
  embeds: 10,
  url: 2000,
  choiceName: 100,
  choiceValue: 100,
  choices: 25,
  customId: 100,
  /** Files a bot attaches to one message: Discord allows 10 MiB without boosts; 8 MiB leaves room for the rest. */
  attachmentBytes: 8 * 1024 * 1024,
} as const;

const noPings = () => ({ parse: [] });

const fieldsSize = (fields: readonly APIEmbedField[] | undefined) =>
  (fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);

/** The characters Discord counts towards the 6000 per message. */
export function embedSize(e: APIEmbed): number {
  return (
    (e.title?.length ?? 0) +
    (e.description?.length ?? 0) +
    fieldsSize(e.fields) +
    (e.footer?.text.length ?? 0) +
    (e.author?.name.length ?? 0)
  );
}

/** Brings one embed within every Discord limit, whatever the data; the least useful parts give way first. */
export function clampEmbed(embed: APIEmbed, budget: number = DISCORD_LIMITS.embedTotal): APIEmbed {
  const L = DISCORD_LIMITS;
  const out: APIEmbed = { ...embed };
  if (out.title !== undefined) out.title = clip(out.title, L.title);
  if (out.description !== undefined) out.description = clip(out.description, L.description);
  if (out.footer) out.footer = { ...out.footer, text: clip(out.footer.text, L.footer) };
  if (out.author) out.author = { ...out.author, name: clip(out.author.name, L.author) };
  if (out.url !== undefined && !safeUrl(out.url)) out.url = undefined;
  if (out.timestamp !== undefined && !validIso(out.timestamp)) out.timestamp = undefined;
  if (out.fields) {
    out.fields = out.fields.slice(0, L.fields).map((f) => ({
      ...f,
      name: clip(f.name.trim() || "\u200b", L.fieldName),
      value: clip(f.value.trim() || "\u200b", L.fieldValue),
    }));
  }

  const over = () => embedSize(out) - budget;
  const shrink = (s: string, floor: number) => clip(s, Math.max(floor, s.length - over()));
  if (over() > 0 && out.footer && out.footer.text.length > 200) {
    out.footer = { ...out.footer, text: shrink(out.footer.text, 200) };
  }
  if (over() > 0 && out.description && out.description.length > 500)
    out.description = shrink(out.description, 500);
  while (over() > 0 && out.fields && out.fields.length > 1) out.fields = out.fields.slice(0, -1);
  if (over() > 0 && out.fields?.length === 1) {
    const [f] = out.fields as [APIEmbedField];
    if (f.value.length > 100) out.fields = [{ ...f, value: shrink(f.value, 100) }];
    if (over() > 0) out.fields = [];
  }
  if (over() > 0 && out.description) out.description = shrink(out.description, 0);
  if (over() > 0 && out.footer) out.footer = { ...out.footer, text: shrink(out.footer.text, 0) };
  if (over() > 0 && out.author) out.author = { ...out.author, name: shrink(out.author.name, 1) };
  if (over() > 0 && out.title) out.title = shrink(out.title, 1);
  if (out.fields?.length === 0) out.fields = undefined;
  if (out.description === "") out.description = undefined;
  return JSON.parse(JSON.stringify(out)) as APIEmbed;
}

/** A whole message within Discord's limits, with pings turned off. */
export function clampMessage(msg: RESTPostAPIChannelMessageJSONBody): RESTPostAPIChannelMessageJSONBody {
  const out: RESTPostAPIChannelMessageJSONBody = { ...msg, allowed_mentions: noPings() };
  if (typeof out.content === "string") out.content = clip(out.content, DISCORD_LIMITS.content);
  if (out.embeds) {
    const embeds: APIEmbed[] = [];
    let left: number = DISCORD_LIMITS.embedTotal;
    for (const e of out.embeds.slice(0, DISCORD_LIMITS.embeds)) {
      if (left <= 0) break;
      const c = clampEmbed(e, left);
      left -= embedSize(c);
      embeds.push(c);
    }
    out.embeds = embeds;
  }
  return out;
}

/** At most 10 embeds sharing the 6000-character budget of one message. */
export function clampEmbeds(embeds: APIEmbed[]): APIEmbed[] {
  const out: APIEmbed[] = [];
  let left: number = DISCORD_LIMITS.embedTotal;
  for (const e of embeds.slice(0, DISCORD_LIMITS.embeds)) {
    if (left <= 0) break;
    const c = clampEmbed(e, left);
    left -= embedSize(c);
    out.push(c);
  }
  return out;
}

/** Bullet lines that fit in one field value, ending in "…and N more" when they don't all fit. */
export function bulletList(lines: readonly string[], max: number = DISCORD_LIMITS.fieldValue): string {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = clip(`• ${lines[i]}`, 700);
    const after = lines.length - i - 1;
    const reserve = after > 0 ? `\n…and ${after} more`.length : 0;
    if (used + (out.length ? 1 : 0) + line.length + reserve > max) {
      out.push(`…and ${lines.length - i} more`);
      break;
    }
    used += (out.length ? 1 : 0) + line.length;
    out.push(line);
  }
  return out.join("\n");
}
