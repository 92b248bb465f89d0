import * as cheerio from "cheerio";
import type { ProbeResult } from "./probe-types.js";

/** Hosts whose pages are the wiki's own (a group listed by its wiki page, not by a website). */
export const DEFAULT_WIKI_HOSTS: readonly string[] = ["wiki.python.org"];

export function isWikiPage(url: string, wikiHosts: readonly string[] = DEFAULT_WIKI_HOSTS): boolean {
  try {
    return wikiHosts.includes(new URL(url).hostname.toLowerCase());
  } catch {
    return false;
  }
}

export type WikiGroupPage =
  | { kind: "missing"; why: string }
  | { kind: "no_site"; why: string }
  | { kind: "site"; website: string }
  | { kind: "unreachable" };

/** MoinMoin serves a page nobody wrote with this text (and marks links to it "nonexistent"). */
const MOIN_MISSING = /this page does not exist yet|class="nonexistent"|id="nonexistent"/i;
const CONTENT = "#content, #page, [role=main], main, article, .body, .document";
const CHROME = "nav, header, footer, #header, #footer, .navigation, #pagebottom, #pagetrail, .sidebar";

/**
 * What the wiki's own page for a group says: that it doesn't exist (a 404, or MoinMoin's
 * "This page does not exist yet"), or which website it names (the first external link in its
 * content), or nothing of the kind.
 */
export function readWikiGroupPage(probe: ProbeResult, wikiHosts = DEFAULT_WIKI_HOSTS): WikiGroupPage {
  if (probe.status === 404 || probe.status === 410) {
    return { kind: "missing", why: `the group's wiki page doesn't exist (HTTP ${probe.status})` };
  }
  if (probe.status === null || probe.status < 200 || probe.status >= 300) return { kind: "unreachable" };
  const body = probe.body ?? "";
  const $ = cheerio.load(body);
  if (MOIN_MISSING.test($(CONTENT).first().html() ?? body)) {
    return { kind: "missing", why: "the group's wiki page doesn't exist yet" };
  }
  $(CHROME).remove();
  const scope = $(CONTENT).first().length ? $(CONTENT).first() : $("body");
  const base = probe.finalUrl ?? probe.url;
  for (const a of scope.find("a[href]").toArray()) {
    const cls = $(a).attr("class") ?? "";
    if (/interwiki|attachment|nonexistent/.test(cls)) continue;
    let u: URL;
    try {
      u = new URL($(a).attr("href") ?? "", base);
    } catch {
      continue;
    }
    const host = u.hostname.toLowerCase();
    if ((u.protocol === "http:" || u.protocol === "https:") && !wikiHosts.includes(host)) {
      if (host === "python.org" || host === "www.python.org") continue;
      u.hash = "";
      return { kind: "site", website: u.href };
    }
  }
  return { kind: "no_site", why: "the group's wiki page names no website" };
}
