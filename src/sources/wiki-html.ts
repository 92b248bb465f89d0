import * as cheerio from "cheerio";
import type { AnyNode, Element } from "domhandler";
import { groupsFromOutline } from "./outline-groups.js";
import type { ListedGroup } from "./types.js";
import {
  collapse,
  type InlinePart,
  isSelfLink,
  type OutlineBlock,
  type PageBase,
  pageBase,
} from "./wiki-outline.js";

/** Groups listed on a MoinMoin 1.9 page as the wiki serves it (HTML). */
export function parseWikiHtml(html: string, pageUrl: string): ListedGroup[] {
  return groupsFromOutline(htmlOutline(html, pageUrl));
}

/** Page chrome that can sit inside the content area and never lists groups. */
const CHROME =
  ".table-of-contents, script, style, noscript, #pageinfo, #navibar, .navibar, .editbar, #footer, #header, a.headerlink, .toctree-wrapper, nav, aside, .sphinxsidebar, .related";

/**
 * The element holding the page's own content. Sphinx (docutils) wraps it in `<section>`s under whatever
 * the theme puts around them; MoinMoin uses `#content`.
 */
function contentRoot($: cheerio.CheerioAPI) {
  const section = $("section")
    .filter((_, el) => $(el).children("h1, h2, h3").length > 0)
    .first();
  if (section.length > 0) return section.parent();
  return ["#content", "#page", "body"].map((sel) => $(sel).first()).find((el) => el.length > 0);
}

/** Headings and list items of the page content (not navigation, TOC, header or footer), in order. */
export function htmlOutline(html: string, pageUrl: string): OutlineBlock[] {
  const $ = cheerio.load(html);
  const base = pageBase(pageUrl);
  const root = contentRoot($);
  if (!root) return [];
  root.find(CHROME).remove();

  const blocks: OutlineBlock[] = [];
  root.find("h1, h2, h3, h4, h5, h6, li, dd").each((_, el) => {
    const heading = /^h([1-6])$/.exec(el.tagName.toLowerCase());
    if (heading) {
      blocks.push({
        kind: "heading",
        level: Number(heading[1]),
        text: collapse($(el).text().replace(/¶/gu, "")),
      });
      return;
    }
    const parts = inlineParts($, el, base);
    if (el.tagName.toLowerCase() === "dd") {
      // moin's "term:: text" renders as <dt>term</dt><dd>text</dd>: read it as "term: text".
      const term = collapse($(el).prevAll("dt").first().text());
      if (term) parts.unshift({ kind: "text", text: `${term}: ` });
    }
    blocks.push({ kind: "item", depth: listDepth(el), parts });
  });
  return blocks;
}

/** How many list items enclose this one. */
function listDepth(li: Element): number {
  let depth = 0;
  for (let node = li.parent; node; node = node.parent) {
    if (node.type === "tag" && node.tagName.toLowerCase() === "li") depth++;
  }
  return depth;
}

/** The item's own text and links; nested lists are items of their own. */
function inlineParts($: cheerio.CheerioAPI, li: Element, base: PageBase): InlinePart[] {
  const parts: InlinePart[] = [];
  const walk = (node: AnyNode) => {
    if (node.type === "text") {
      parts.push({ kind: "text", text: node.data });
      return;
    }
    if (node.type !== "tag") return;
    const tag = node.tagName.toLowerCase();
    if (tag === "ul" || tag === "ol" || tag === "dl" || tag === "script" || tag === "style") return;
    if (tag === "br") {
      parts.push({ kind: "text", text: " " });
      return;
    }
    if (tag === "a") {
      const url = linkUrl(node, base);
      const href = (node.attribs.href ?? "").trim();
      const wiki =
        url !== null && (!/^[a-z][a-z0-9+.-]*:/i.test(href) || new URL(url).host === new URL(base.href).host);
      parts.push({ kind: "link", text: $(node).text(), url, ...(wiki ? { wiki: true } : {}) });
      return;
    }
    for (const child of node.children) walk(child);
  };
  for (const child of li.children) walk(child);
  return parts;
}

/** Where a link points if it could be a group: external http(s) pages and wiki pages; otherwise null. */
function linkUrl(a: Element, base: PageBase): string | null {
  const href = (a.attribs.href ?? "").trim();
  const classes = (a.attribs.class ?? "").split(/\s+/);
  if (!href || href.startsWith("#")) return null;
  if (classes.includes("interwiki") || classes.includes("attachment") || classes.includes("badinterwiki")) {
    return null;
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(href)?.[1]?.toLowerCase();
  if (scheme) return scheme === "http" || scheme === "https" ? href : null;
  let resolved: URL;
  try {
    resolved = new URL(href, base.href);
  } catch {
    return null;
  }
  if (isSelfLink(resolved.href, base)) return null;
  if (resolved.origin === base.origin && /(^|&)action=/.test(resolved.search.slice(1))) return null;
  return resolved.href;
}
