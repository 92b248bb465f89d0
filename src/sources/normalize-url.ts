import { hash } from "node:crypto";

const TRACKING_PARAMS = /^(utm_.*|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|_gl|igshid|yclid)$/i;

/** Hosts whose paths are case-insensitive in practice (meetup.com/PySilesia = meetup.com/pysilesia). */
const CASE_INSENSITIVE_PATH_HOSTS = /(^|\.)meetup\.com$/;
const MEETUP_LOCALE_PREFIX =
  /^\/(de-de|en-au|en-gb|en-us|es-es|fr-fr|it-it|ja-jp|ko-kr|nl-nl|pl-pl|pt-br|pt-pt|ru-ru|sv-se|th-th|tr-tr|zh-tw|zh-cn)(?=\/)/;

/**
 * The identity key of a group link, for telling whether two listings name the same group:
 * `https://www.meetup.com/PyKonik/?utm_source=x#top` → `//meetup.com/pykonik`.
 * Scheme-less on purpose: a group that moved from http to https is the same group.
 */
export function normalizeUrl(url: string): string {
  const trimmed = url.trim();
  let u: URL;
  try {
    u = new URL(trimmed);
  } catch {
    return trimmed.toLowerCase();
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    u.hash = "";
    return u.href;
  }
  const host = u.hostname.replace(/\.$/, "").replace(/^www\./, "");
  const port = u.port && u.port !== "80" && u.port !== "443" ? `:${u.port}` : "";

  let path = u.pathname.replace(/\/{2,}/g, "/").replace(/\/+$/, "");
  if (CASE_INSENSITIVE_PATH_HOSTS.test(host)) {
    // Meetup also serves every group under a locale prefix: /de-DE/pykonik/.
    path = path.toLowerCase().replace(MEETUP_LOCALE_PREFIX, "");
  }

  const params = [...u.searchParams].filter(([key]) => !TRACKING_PARAMS.test(key));
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = params.length ? `?${new URLSearchParams(params).toString()}` : "";

  // "groups.google.com/forum/#!forum/zimpy": a hash-bang fragment is the page's real address.
  const hashbang = u.hash.startsWith("#!") ? u.hash : "";
  // Joined rather than templated: V8 keeps a template's pieces as a tree of strings (a few hundred bytes more
  // per key), and a sync holds one key for each of 100,000 groups and their channels.
  return ["//", host, port, path, query, hashbang].join("");
}

const FOLDS: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  ł: "l",
  đ: "d",
  ð: "d",
  þ: "th",
  ı: "i",
};

/** "PyBesançon" → "pybesancon", "Python Tromsø" → "python-tromso". */
export function slugify(name: string, maxLength = 32): string {
  const folded = name
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (c) => FOLDS[c] ?? c)
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "");
  const slug = folded.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return slug.slice(0, maxLength).replace(/-+$/, "");
}

/** A stable, readable group id: `pysilesia-3fa2b1` (name slug + 6 hex of sha1 of the normalized URL). */
export function groupId(name: string, normalizedUrl: string): string {
  // A one-shot hash (a Hash object per group cost a sync of 100,000 groups 0.1 s), joined into one flat string.
  return [slugify(name) || "group", hash("sha1", normalizedUrl).slice(0, 6)].join("-");
}
