import { readOutline } from "./outline-groups.js";
import type { ListingFormat, ListingReading } from "./types.js";
import { htmlOutline } from "./wiki-html.js";
import { markdownOutline } from "./wiki-markdown.js";
import type { OutlineBlock } from "./wiki-outline.js";
import { rawOutline } from "./wiki-raw.js";

/** Where the 2026 static wiki publishes the page; relative links in its Markdown and HTML resolve against it. */
export const WIKI_2026_PAGE_URL = "https://wiki.python.org/python/community/LocalUserGroups.html";

/** The listing's format, from its content (and, for HTML, its generator): no file extension or header needed. */
export function detectListingFormat(body: string, contentType = ""): ListingFormat | null {
  const head = body.slice(0, 8192).trimStart();
  const html =
    /html|xml/i.test(contentType) ||
    /^(<!doctype\s+html|<html|<head|<body|<!--)/i.test(head) ||
    /<(html|body|div|section|h[1-6]|ul)[\s>]/i.test(head);
  if (html) {
    return /class="headerlink"|<section id=|name="generator" content="(Sphinx|Docutils)|sphinx|docutils/i.test(
      body,
    )
      ? "sphinx-html"
      : "moin-html";
  }
  const lines = body.split(/\r?\n/);
  let moin = 0;
  let myst = 0;
  for (const line of lines) {
    if (/^#(format|pragma|language|acl)\b/.test(line)) moin += 5;
    else if (/^(=+)\s+\S.*\s\1\s*$/.test(line)) moin += 2;
    else if (/^ +(\*|\d+\.)\s/.test(line) || /\[\[[^\]]+\]\]/.test(line)) moin++;
    if (/^#{1,6}\s+\S/.test(line)) myst += 2;
    else if (/^\s*[-*+]\s+\S/.test(line) && /\]\([^)]*\)/.test(line)) myst++;
    else if (/^(```|:::)\{?\w/.test(line)) myst += 2;
  }
  if (moin === 0 && myst === 0) return null;
  return myst > moin ? "myst" : "moin-markup";
}

export function outlineOf(format: ListingFormat, body: string, pageUrl: string): OutlineBlock[] {
  switch (format) {
    case "myst":
      return markdownOutline(body, pageUrl);
    case "moin-markup":
      return rawOutline(body, pageUrl);
    default:
      return htmlOutline(body, pageUrl);
  }
}

/**
 * Reads a listing in any of the wiki's formats: MyST Markdown, Sphinx HTML, MoinMoin HTML or markup. `url` is
 * where the page lives (relative links resolve against it); a page read from a file gets the wiki's own address
 * for its format. Returns null when the text is none of them.
 */
export function readListing(res: {
  body: string;
  contentType?: string;
  url?: string | null;
}): ListingReading | null {
  const raw = /[?&]action=raw\b/.test(res.url ?? "");
  const format = raw ? "moin-markup" : detectListingFormat(res.body, res.contentType);
  if (!format) return null;
  const pageUrl =
    res.url && /^https?:/i.test(res.url)
      ? res.url
      : format === "myst" || format === "sphinx-html"
        ? WIKI_2026_PAGE_URL
        : "https://wiki.python.org/moin/LocalUserGroups";
  const { groups, skipped } = readOutline(outlineOf(format, res.body, pageUrl));
  return { format, groups, skipped };
}
