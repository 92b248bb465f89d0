/** What kind of place a group's other link is. */
export type ChannelKind =
  | "website"
  | "mailing list"
  | "twitter"
  | "facebook"
  | "github"
  | "gitlab"
  | "slack"
  | "discord"
  | "irc"
  | "meetup"
  | "telegram"
  | "linkedin"
  | "youtube"
  | "instagram"
  | "mastodon"
  | "blog"
  | "forum"
  | "events"
  | "wiki"
  | "other";

/** One of a group's links: its site, mailing list, Meetup group, Twitter account… */
export interface Channel {
  kind: ChannelKind;
  url: string;
  /** The link text as the page shows it */
  label: string;
}

/** One group as a listing page shows it, before geocoding. */
export interface ListedGroup {
  name: string;
  /** The link exactly as the page lists it; wiki-internal links as absolute https://wiki.python.org/moin/Page URLs. */
  url: string;
  continent: string | null;
  country: string | null;
  /** State or province, from an h4 heading or a "City, ST" prefix. */
  region: string | null;
  city: string | null;
  description: string | null;
  /** The group's other links (not the primary `url`), in page order. */
  channels?: Channel[];
  /** More phrases that may name the group's city or region, surest first ("Cracow", "Silesia area", "Cologne"). */
  placeHints?: string[];
  /** First and last source line (1-based) of the group's item, when the reader knows lines. */
  lines?: [number, number] | null;
}

/** A list item that is not a group, and why. */
export interface SkippedItem {
  text: string;
  reason: string;
  /** The innermost heading above it */
  heading: string | null;
}

export type ListingFormat = "myst" | "sphinx-html" | "moin-html" | "moin-markup";

export interface ListingReading {
  format: ListingFormat;
  groups: ListedGroup[];
  skipped: SkippedItem[];
}
