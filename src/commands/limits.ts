import type { APIEmbed } from "discord-api-types/v10";

/** Discord's hard limits on messages. */
export const LIMITS = {
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
  choiceName: 100,
  choiceValue: 100,
  choices: 25,
  customId: 100,
} as const;

export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, Math.max(0, max - 1))}…`;
}

/** Text from the wiki or a user: no markdown tricks, no pings. */
export function escapeText(s: string): string {
  return s
    .replace(/[\\*_~`|>[\]()#-]/g, (c) => `\\${c}`)
    .replace(/@/g, "@\u200b")
    .replace(/<(?=[@#:a])/g, "<\u200b");
}

/** Brings an embed within every Discord limit, whatever the data. */
export function clampEmbed(e: APIEmbed): APIEmbed {
  const out: APIEmbed = { ...e };
  if (out.title) out.title = clip(out.title, LIMITS.title);
  if (out.description) out.description = clip(out.description, LIMITS.description);
  if (out.footer) out.footer = { ...out.footer, text: clip(out.footer.text, LIMITS.footer) };
  if (out.author) out.author = { ...out.author, name: clip(out.author.name, LIMITS.author) };
  if (out.fields) {
    out.fields = out.fields.slice(0, LIMITS.fields).map((f) => ({
      ...f,
      name: clip(f.name || "\u200b", LIMITS.fieldName),
      value: clip(f.value || "\u200b", LIMITS.fieldValue),
    }));
  }
  const size = (x: APIEmbed) =>
    (x.title?.length ?? 0) +
    (x.description?.length ?? 0) +
    (x.footer?.text.length ?? 0) +
    (x.author?.name.length ?? 0) +
    (x.fields ?? []).reduce((a, f) => a + f.name.length + f.value.length, 0);
  while (size(out) > LIMITS.embedTotal && out.fields && out.fields.length > 0)
    out.fields = out.fields.slice(0, -1);
  if (size(out) > LIMITS.embedTotal && out.description) {
    out.description = clip(
      out.description,
      Math.max(1, out.description.length - (size(out) - LIMITS.embedTotal)),
    );
  }
  return out;
}

export function clampEmbeds(embeds: APIEmbed[]): APIEmbed[] {
  const out: APIEmbed[] = [];
  let total = 0;
  for (const e of embeds.slice(0, LIMITS.embeds)) {
    const c = clampEmbed(e);
    const n = JSON.stringify(c).length;
    if (out.length > 0 && total + n > LIMITS.embedTotal) break;
    total += n;
    out.push(c);
  }
  return out;
}

export const discordTime = (iso: string, style: "R" | "D" | "f" = "R") =>
  `<t:${Math.floor(Date.parse(iso) / 1000)}:${style}>`;
