import { getDomain, getDomainWithoutSuffix } from "tldts";
import type { ActivityEvidence } from "./activity.js";
import { fold, isMeetupGroupPage, meetupGroupSlug, type Page } from "./content-signals.js";
import { mentions, topicHits } from "./lexicon.js";

/** Who the page is judged against: the group as the wiki lists it. */
export interface GroupIdentity {
  name?: string | null;
  /** The address the wiki lists (its domain is the group's "old domain"). */
  url: string;
  /** Set when the listed address was a wiki page and the group is judged by the site that page names. */
  viaWiki?: string | null;
}

export interface IdentityFinding {
  /** Plain words: 'names the group "PyKRK"'. */
  detail: string;
  /** Weak: only in the title or a script of the page, which a takeover page could also show. */
  weak: boolean;
}

/** Words that say nothing about WHICH group ("Python User Group" names every one of them). */
const GENERIC = new Set([
  "python",
  "py",
  "user",
  "users",
  "group",
  "groups",
  "usergroup",
  "meetup",
  "meetups",
  "community",
  "the",
  "of",
  "and",
  "de",
  "la",
  "le",
  "der",
  "die",
  "website",
  "homepage",
  "site",
  "pythonistas",
]);

const compact = (s: string) => fold(s).replace(/[^\p{L}\p{N}]/gu, "");

function hostOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.toLowerCase().replace(/^www\./, "");
  } catch {
    return null;
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Removes the page's own host name and the old domain from text: every parked page shows its domain. */
function stripHosts(text: string, hosts: string[]): string {
  let out = text;
  for (const h of hosts) out = out.replace(new RegExp(`(www\\.)?${escapeRe(h)}`, "g"), " ");
  return out;
}

/** The forms of the group's name worth looking for: "PyKRK (Kraków)" → "pykrk", "krakow". */
function nameForms(name: string | null | undefined): string[] {
  if (!name) return [];
  const forms = [
    name.replace(/\s*[([].*$/, ""),
    ...[...name.matchAll(/[([]([^)\]]+)[)\]]/g)].map((m) => m[1]),
  ];
  return forms
    .map((f) => fold(f ?? ""))
    .filter((f) => {
      const words = f.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
      return compact(f).length >= 4 && words.some((x) => !GENERIC.has(x));
    });
}

function containsName(haystack: string, name: string): boolean {
  let at = haystack.indexOf(name);
  while (at >= 0) {
    const before = haystack[at - 1] ?? " ";
    const after = haystack[at + name.length] ?? " ";
    const bounded = !/[\p{L}\p{N}]/u.test(before) && !/[\p{L}\p{N}]/u.test(after);
    if (bounded || /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u.test(name)) {
      return true;
    }
    at = haystack.indexOf(name, at + 1);
  }
  return false;
}

/**
 * Positive evidence that the page is still the group's: it names the group, its old domain or its
 * Meetup group; or it talks about Python and meeting up; or it carries dated events and mentions
 * Python. Mentions of the page's own domain don't count: every parked page shows its domain.
 */
export function findIdentity(
  page: Page,
  group: GroupIdentity,
  pageUrl: string,
  activity?: ActivityEvidence | null,
): IdentityFinding[] {
  const found: IdentityFinding[] = [];
  const oldHost = hostOf(group.url);
  const pageHost = hostOf(pageUrl);
  const hosts = [...new Set([pageHost, oldHost].filter((h): h is string => !!h))].sort(
    (a, b) => b.length - a.length,
  );
  const head = stripHosts(`${page.folded.title} · ${page.folded.headings}`, hosts);
  const body = stripHosts(`${page.folded.meta} · ${page.folded.prose}`, hosts);
  const hidden = stripHosts(`${fold(page.noscript)} · ${fold(page.inlineScripts)}`, hosts);

  for (const name of nameForms(group.name)) {
    if (containsName(body, name)) found.push({ detail: `names the group "${group.name}"`, weak: false });
    else if (containsName(head, name)) {
      found.push({ detail: `names the group "${group.name}" in its title`, weak: true });
    } else if (containsName(hidden, name)) {
      found.push({ detail: `names the group "${group.name}" in its script`, weak: true });
    }
    if (found.length) break;
  }

  const slug = meetupGroupSlug(group.url);
  const label = compact(slug ?? getDomainWithoutSuffix(group.url, { allowPrivateDomains: true }) ?? "");
  if (label.length >= 5 && !GENERIC.has(label) && compact(head).includes(label)) {
    found.push({ detail: `its title names "${label}"`, weak: true });
  }

  const oldDomain = getDomain(group.url, { allowPrivateDomains: true });
  const pageDomain = pageUrl ? getDomain(pageUrl, { allowPrivateDomains: true }) : null;
  if (oldHost && oldDomain && pageDomain && oldDomain !== pageDomain) {
    if (page.folded.all.includes(oldHost) || page.links.some((l) => hostOf(l) === oldHost)) {
      found.push({ detail: `mentions the group's old address ${oldHost}`, weak: false });
    }
  }

  if (isMeetupGroupPage(page, pageUrl)) found.push({ detail: "is a Meetup group page", weak: false });
  if (slug && page.links.some((l) => l.toLowerCase().includes(`/${slug.toLowerCase()}/`))) {
    found.push({ detail: `links to the Meetup group "${slug}"`, weak: false });
  }

  const said = `${head} · ${body}`;
  const python = topicHits("python", said);
  if (python.count > 0 && mentions("meeting", said)) {
    found.push({ detail: `talks about ${python.terms[0]} and meeting up`, weak: false });
  }

  const events = activity?.sources.some((s) => s === "json-ld" || s === "ical" || s === "time");
  if (found.length === 0 && events && python.count > 0) {
    found.push({ detail: "carries dated events and mentions Python", weak: true });
  }
  return found;
}
