import type { Status } from "./status.js";

export interface ReasonInfo {
  /** The status a check with this reason implies. */
  readonly status: Status;
  /** A plain sentence a user can read. */
  readonly text: string;
}

/**
 * Why a check ended the way it did. "Never cry wolf": anything that could be our side's fault
 * (a timeout, a bot wall, an address we refused to visit) is "unknown", never "dead".
 */
export const REASONS = {
  ok: { status: "alive", text: "The site answers and still looks like the group's site." },
  recent_activity: { status: "alive", text: "The group has had an event or a post recently." },
  upcoming_event: { status: "alive", text: "The group has an upcoming event." },
  website_gone_meetup_active: { status: "alive", text: "Website gone; active on meetup.com." },
  website_gone_list_active: { status: "alive", text: "Website gone; active on its mailing list." },
  no_recent_activity: {
    status: "dormant",
    text: "The site is still up, but its newest event or post is more than a year old.",
  },
  on_hiatus: {
    status: "dormant",
    text: "The group's page says its meetings have stopped or are on hold.",
  },

  dns_nxdomain: { status: "dead", text: "The domain no longer exists (DNS says no such name)." },
  refused: { status: "dead", text: "The server refused the connection: nothing is running at this address." },
  tls_error: {
    status: "dead",
    text: "The site's security certificate is broken or expired, so browsers refuse to open it.",
  },
  http_404: { status: "dead", text: "The page is gone (the server says 404 Not Found)." },
  http_410: { status: "dead", text: "The page was removed on purpose (the server says 410 Gone)." },
  http_5xx: { status: "dead", text: "The server keeps failing with an error (5xx)." },
  parked: {
    status: "dead",
    text: "The site no longer belongs to the group: the address shows a parking page.",
  },
  for_sale: {
    status: "dead",
    text: "The site no longer belongs to the group: the domain is up for sale.",
  },
  spam_takeover: {
    status: "dead",
    text: "The site no longer belongs to the group: it now shows spam (gambling, pills, money or adult).",
  },
  hosting_default: {
    status: "dead",
    text: "The site no longer belongs to the group: the address shows a web host's default or placeholder page.",
  },
  domain_expired: {
    status: "dead",
    text: "The site no longer belongs to the group: the domain or its hosting has expired.",
  },
  account_suspended: {
    status: "dead",
    text: "The site no longer belongs to the group: the hosting account is suspended.",
  },
  not_the_group: {
    status: "dead",
    text: "The site no longer belongs to the group: it shows no sign of the group and looks taken over.",
  },
  redirect_offsite: {
    status: "dead",
    text: "The address now sends visitors to an unrelated website.",
  },
  soft_404: { status: "dead", text: "The site answers, but the page says it doesn't exist." },
  meetup_group_gone: { status: "dead", text: "The Meetup group no longer exists." },
  redirect_loop: {
    status: "dead",
    text: "The site keeps redirecting in a circle, so no browser can open it.",
  },

  forbidden_address: {
    status: "unknown",
    text: "The address points into a private network, so we didn't connect to it. That doesn't mean the group is gone.",
  },
  bot_wall: {
    status: "unknown",
    text: "The site only let us see an anti-bot check or an access-denied page, so we can't tell.",
  },
  cookie_loop: {
    status: "unknown",
    text: "The site redirects in a circle until the visitor accepts a cookie, so we can't tell.",
  },
  tls_incomplete_chain: {
    status: "unknown",
    text: "The site's server leaves out part of its certificate chain; browsers usually still open it, so we can't tell.",
  },
  login_wall: {
    status: "unknown",
    text: "The address leads to a Facebook, LinkedIn, Google or Meetup login page, which shows nothing about the group.",
  },
  server_busy: {
    status: "unknown",
    text: "The server says it is busy or its CDN can't reach it (503 with Retry-After, or 520–524); we'll try again.",
  },
  hostile_body: {
    status: "unknown",
    text: "The site sent a body wrapped in too many compression layers, which we refuse to unpack.",
  },
  network_error: {
    status: "unknown",
    text: "The connection failed this time (reset or network trouble); we'll try again.",
  },
  timeout: { status: "unknown", text: "The site took too long to answer; we'll try again." },
  proxy_error: {
    status: "unknown",
    text: "Our own proxy failed to reach the site; this says nothing about the group.",
  },
  too_many_redirects: {
    status: "unknown",
    text: "The site redirected us too many times before showing a page, so we can't tell.",
  },
  bad_url: {
    status: "unknown",
    text: "The listed address isn't a valid web address, so we couldn't check it.",
  },
  http_other: {
    status: "unknown",
    text: "The server gave an unusual answer that doesn't tell us either way.",
  },
  empty_page: { status: "unknown", text: "The site answered with an empty page, so we can't tell." },
  no_sign_of_group: {
    status: "unknown",
    text: "The site answers, but shows no sign of the group on the page.",
  },
  no_website: {
    status: "unknown",
    text: "No website listed: the group's link goes to a wiki page that doesn't exist or names no site.",
  },
} as const satisfies Record<string, ReasonInfo>;

export type ReasonCode = keyof typeof REASONS;

export const REASON_CODES = Object.keys(REASONS) as readonly ReasonCode[];

export function isReasonCode(value: string): value is ReasonCode {
  return Object.hasOwn(REASONS, value);
}

export function reasonStatus(code: ReasonCode): Status {
  return REASONS[code].status;
}

/** Plain text for a stored reason; codes from older versions fall back to a neutral sentence. */
export function reasonText(code: string): string {
  return isReasonCode(code) ? REASONS[code].text : "No explanation recorded.";
}
