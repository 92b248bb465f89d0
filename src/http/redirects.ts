import type { HttpError, HttpHop } from "./types.js";

export const isHttp = (url: URL): boolean => url.protocol === "http:" || url.protocol === "https:";

/** `user:pass@` never leaves this module: not in results, logs, evidence or the database. */
export function stripCredentials(url: string): string {
  // No "@", no user or password: the common case needs no parsing.
  if (!url.includes("@")) return url;
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = "";
    u.password = "";
    return u.href;
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, "$1");
  }
}

/** Where a redirect leads, or why we stop there. `hopCount` includes the redirecting hop. */
export function followLocation(
  location: string,
  from: URL,
  seen: ReadonlySet<string>,
  hopCount: number,
  maxRedirects: number,
): { url: URL } | { error: HttpError } {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return { error: { code: "bad_url", message: `The redirect to "${location}" is not a web address.` } };
  }
  next.username = "";
  next.password = "";
  if (!isHttp(next)) {
    return {
      error: { code: "bad_url", message: `The page redirects to a ${next.protocol} link, not a web page.` },
    };
  }
  if (seen.has(next.href)) {
    return {
      error: { code: "redirect_loop", message: `The redirects go round in a circle at ${next.href}.` },
    };
  }
  if (hopCount > maxRedirects) {
    return { error: { code: "too_many_redirects", message: `More than ${maxRedirects} redirects.` } };
  }
  return { url: next };
}

/**
 * Many sites (Meetup's `_cookie-check` among them) bounce a visitor without cookies back and forth;
 * we keep no cookie jar, so a loop where any hop set or mentions a cookie says nothing about the group.
 */
export function isCookieLoop(hops: readonly HttpHop[]): boolean {
  if (hops.some((h) => h.setCookie)) return true;
  return hops.some((h) => /cookie|consent/i.test(`${h.url} ${h.location ?? ""}`));
}

/** Login pages of the big platforms: a group's own address ending there shows nothing about the group. */
const LOGIN_WALLS: readonly { host: RegExp; path: RegExp }[] = [
  { host: /(^|\.)facebook\.com$/, path: /^\/(login|checkpoint|login\.php)\b/ },
  { host: /(^|\.)linkedin\.com$/, path: /^\/(authwall|login|uas\/login|checkpoint)\b/ },
  { host: /^accounts\.google\.com$/, path: /^\/(servicelogin|signin|v3\/signin|accountchooser)/i },
  { host: /(^|\.)meetup\.com$/, path: /^\/(login|register)\b/ },
];

export function isLoginWall(url: string): boolean {
  try {
    const u = new URL(url);
    const host = u.hostname.toLowerCase();
    return LOGIN_WALLS.some((w) => w.host.test(host) && w.path.test(u.pathname));
  } catch {
    return false;
  }
}

/** The address asked for (not itself a login page) ends on a platform's login page. */
export function endsOnLoginWall(startUrl: string, finalUrl: string): boolean {
  return isLoginWall(finalUrl) && !isLoginWall(startUrl);
}
