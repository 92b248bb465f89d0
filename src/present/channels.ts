/** A group's channel as stored (group_channels) or as read from a listing. */
export interface ChannelLike {
  kind: string;
  url: string;
  label?: string | null;
}

const KIND_NAMES: Record<string, string> = {
  website: "Website",
  "mailing list": "Mailing list",
  twitter: "Twitter/X",
  facebook: "Facebook",
  github: "GitHub",
  gitlab: "GitLab",
  slack: "Slack",
  discord: "Discord",
  irc: "IRC",
  meetup: "Meetup",
  telegram: "Telegram",
  linkedin: "LinkedIn",
  youtube: "YouTube",
  instagram: "Instagram",
  mastodon: "Mastodon",
  blog: "Blog",
  forum: "Forum",
  events: "Events",
  wiki: "Wiki",
  other: "Link",
};

export const channelName = (kind: string): string => KIND_NAMES[kind] ?? "Link";

/** "Meetup: https://www.meetup.com/pysilesia/", one line per channel, in page order. */
export function channelLines(
  channels: readonly ChannelLike[],
  link: (url: string) => string = (url) => url,
): string[] {
  return channels.map((c) => `${channelName(c.kind)}: ${link(c.url)}`);
}

/** The channels as a short block for `poick info` and `/pug info`, or null when the group lists none. */
export function channelsText(
  channels: readonly ChannelLike[],
  max = 10,
  link?: (url: string) => string,
): string | null {
  if (channels.length === 0) return null;
  const lines = channelLines(channels.slice(0, max), link);
  if (channels.length > max) lines.push(`…and ${channels.length - max} more`);
  return lines.join("\n");
}
