import type { Channel, ChannelKind } from "./types.js";

const HOST_KINDS: readonly (readonly [RegExp, ChannelKind])[] = [
  [/(^|\.)meetup\.com$/, "meetup"],
  [/(^|\.)(twitter|x)\.com$/, "twitter"],
  [/(^|\.)(facebook\.com|fb\.me|fb\.com)$/, "facebook"],
  [/(^|\.)github\.com$/, "github"],
  [/(^|\.)gitlab\.com$/, "gitlab"],
  [/(^|\.)slack\.com$/, "slack"],
  [/(^|\.)(discord\.gg|discord\.com|discordapp\.com)$/, "discord"],
  [/(^|\.)(t\.me|telegram\.me|telegram\.org)$/, "telegram"],
  [/(^|\.)linkedin\.com$/, "linkedin"],
  [/(^|\.)(youtube\.com|youtu\.be)$/, "youtube"],
  [/(^|\.)instagram\.com$/, "instagram"],
  [/(^|\.)medium\.com$/, "blog"],
  [/(^|\.)(timepad\.ru|eventbrite\.[a-z.]+|lu\.ma)$/, "events"],
  [/(^|\.)(webchat\.freenode\.net|botbot\.me|web\.libera\.chat|kiwiirc\.com)$/, "irc"],
  [
    /(^|\.)(groups\.google\.[a-z.]+|googlegroups\.com|groups\.yahoo\.com|[a-z]+\.groups\.yahoo\.com|yahoogrupos\.com\.br)$/,
    "mailing list",
  ],
];

/** The kind of a link, from its address first and its text second. */
export function channelKind(url: string, label = ""): ChannelKind {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "other";
  }
  if (u.protocol === "irc:" || u.protocol === "ircs:") return "irc";
  const host = u.hostname.toLowerCase();
  for (const [re, kind] of HOST_KINDS) if (re.test(host)) return kind;
  if (/\/(mailman3?|listinfo|mm3)\b/i.test(u.pathname) || /^(mail|lists?)\./.test(host))
    return "mailing list";
  if (/^\/@[\w.]+\/?$/.test(u.pathname)) return "mastodon";
  const text = label.toLowerCase();
  if (/\bpycon\b|\bconference\b/.test(text) || /(^|\.)pycon\./.test(host)) return "events";
  if (/\bblog\b/.test(text) || /^blog\./.test(host)) return "blog";
  if (/\bforums?\b/.test(text)) return "forum";
  if (/\bwiki\b/.test(text) || /^wiki\./.test(host)) return "wiki";
  if (/(^|\.)plus\.google\.com$|(^|\.)trello\.com$|(^|\.)flickr\.com$/.test(host)) return "other";
  return "website";
}

/** Words that make a link's text a channel label ("Mailing List", "Twitter - PyCon Ghana", "Our Website"). */
const CHANNEL_WORDS =
  /\b(web ?site|homepage|home page|site|mailing ?lists?|mail ?list|maillist|twitter|x|facebook|github|gitlab|slack|discord|irc|meetup\.com|meetups?|telegram|linkedin|youtube|instagram|mastodon|blog|forums?|google ?groups?|google plus|groups? page|fan page|page|planet|members|videos|photos|medium|trello|timepad|wiki|channel|e-?mail)\b/i;

const CHANNEL_WORDS_ALL = new RegExp(CHANNEL_WORDS.source, "gi");
const FILLER_WORDS =
  /\b(our|the|a|an|official|on|join|and|for|of|via|community|group|groups|link|events|us|board|page|account|chat|server|channel|profile)\b/gi;

/** True when a link's text names a kind of channel (or is just an address) rather than a group. */
export function isChannelLabel(text: string): boolean {
  const t = text
    .replace(/google\+/gi, "google plus")
    .replace(/['"“”‘’\\]/g, "")
    .trim()
    .replace(/[:.\s]+$/, "");
  if (!t || isBareAddress(t)) return false;
  const rest = t
    .replace(CHANNEL_WORDS_ALL, " ")
    .replace(FILLER_WORDS, " ")
    .replace(/[^\p{L}\p{N}]+/gu, "");
  return CHANNEL_WORDS.test(t) && rest.length === 0;
}

/** True when every word of a text is a channel word or filler ("Wiki", "Groups", "Facebook page"). */
export function onlyChannelWords(text: string): boolean {
  return (
    text
      .replace(/google\+/gi, "google plus")
      .replace(CHANNEL_WORDS_ALL, " ")
      .replace(FILLER_WORDS, " ")
      .replace(/[^\p{L}\p{N}]+/gu, "").length === 0
  );
}

/** True when a text mentions a kind of channel at all ("LK-PUG Facebook fan page"). */
export function mentionsChannel(text: string): boolean {
  return CHANNEL_WORDS.test(text);
}

/** A link whose text is its own address ("https://py.amsterdam"). */
export function isBareAddress(text: string): boolean {
  return /^(https?:\/\/|www\.)\S+$/i.test(text.trim());
}

/** Order in which a group's channels stand in for a missing website: own site, then Meetup, then the rest. */
const PRIMARY_ORDER: readonly ChannelKind[] = [
  "website",
  "meetup",
  "blog",
  "wiki",
  "mailing list",
  "forum",
  "events",
  "github",
  "gitlab",
  "facebook",
  "twitter",
  "telegram",
  "linkedin",
  "discord",
  "slack",
  "mastodon",
  "instagram",
  "youtube",
  "irc",
  "other",
];

/** The channel that best stands for the group when its own line has no link. */
export function primaryChannel(channels: readonly Channel[]): Channel | null {
  let best: Channel | null = null;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const c of channels) {
    const rank = PRIMARY_ORDER.indexOf(c.kind);
    if (rank < bestRank) {
      best = c;
      bestRank = rank;
    }
  }
  return best;
}

/** Channels whose pages can show that a group still meets (events, archive posts). */
export function showsActivity(kind: ChannelKind): boolean {
  return kind === "meetup" || kind === "mailing list" || kind === "events";
}
