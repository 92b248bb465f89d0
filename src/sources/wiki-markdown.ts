import type { Token } from "markdown-it";
import markdownIt from "markdown-it";
import type { InlinePart, OutlineBlock, PageBase } from "./wiki-outline.js";
import { isSelfLink, pageBase } from "./wiki-outline.js";

// CommonMark with the MyST page's needs: no raw HTML (the conversion left none that matters), no typographer.
const md = markdownIt("commonmark", { html: false });

/** Markdown is parsed in pieces of about this many characters (see `markdownChunks`). */
const CHUNK_CHARS = 32 * 1024;
/** The parts of an item whose paragraph is not read yet (replaced, never pushed to). */
const NO_PARTS = Object.freeze([]) as unknown as InlinePart[];
/** A bullet list item with content, at the margin. */
const BULLET_ITEM = /^[-*+][ \t]+\S/;
/** `- - -`, `***`: a line of these is a thematic break, not an item. */
const THEMATIC_BREAK = /^([-*_])([ \t]*\1){2,}[ \t]*$/;

/**
 * Headings and list items of a MyST Markdown page, in order, each with its source lines. Directives
 * (```{admonition}```) are fenced code to CommonMark and drop out by themselves.
 */
export function markdownOutline(
  source: string,
  pageUrl: string,
  opts: { chunkChars?: number } = {},
): OutlineBlock[] {
  const base = pageBase(pageUrl);
  const blocks: OutlineBlock[] = [];
  for (const chunk of markdownChunks(source, opts.chunkChars ?? CHUNK_CHARS))
    outlineTokens(md.parse(chunk.text, {}), chunk.firstLine, base, blocks);
  return blocks;
}

/**
 * A long page cut into pieces that CommonMark reads the same way apart as together: markdown-it's tokens for a
 * 100,000-group page take hundreds of MB at once, a piece's a few MB. A line starting with `#` outside a fenced
 * block is an ATX heading wherever it stands (it ends any list or paragraph), so nothing crosses it. So does a
 * bullet item at the margin after a blank line: it starts a new top-level item (or list) whatever came before,
 * since no block but a fence carries on through such a line; one list read as two gives the same items, depths
 * and lines (only looseness, which the outline ignores, may differ). A country's list of 12,000 groups is one
 * section: cutting inside it keeps what is alive at each young-generation collection small (V8 promotes what
 * survives one, and a whole section's tokens did: 300 MB promoted to be collected again). Link reference
 * definitions do cross (a link may use one defined anywhere), so a page with any is read whole.
 */
export function markdownChunks(source: string, chunkChars: number): { text: string; firstLine: number }[] {
  if (source.length <= chunkChars || /^ {0,3}\[[^\]]+\]:/m.test(source))
    return [{ text: source, firstLine: 0 }];
  const chunks: { text: string; firstLine: number }[] = [];
  let start = 0;
  let startLine = 0;
  let line = 0;
  let fence: { char: string; length: number } | null = null;
  let afterBlank = false;
  for (let pos = 0; pos < source.length; line++) {
    const end = source.indexOf("\n", pos);
    const next = end < 0 ? source.length : end + 1;
    const text = source.slice(pos, end < 0 ? source.length : end).replace(/\r$/, "");
    const marker = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(text);
    if (fence) {
      const m = marker?.[1];
      if (m && m[0] === fence.char && m.length >= fence.length && !(marker?.[2] ?? "").trim()) fence = null;
    } else if (marker && !(marker[1]?.[0] === "`" && marker[2]?.includes("`"))) {
      // A fence indented by 1-3 spaces may sit in a list item (ended by the item's end) or at the margin (ended
      // only by its closing line): which one takes reading the page. The rest of the page stays one piece.
      if (text[0] === " ") break;
      fence = { char: marker[1]?.[0] as string, length: marker[1]?.length as number };
    } else if (
      pos - start >= chunkChars &&
      ((text.startsWith("#") && /^#{1,6}(\s|$)/.test(text)) ||
        (afterBlank && BULLET_ITEM.test(text) && !THEMATIC_BREAK.test(text)))
    ) {
      chunks.push({ text: source.slice(start, pos), firstLine: startLine });
      start = pos;
      startLine = line;
    }
    afterBlank = !fence && /^[ \t]*$/.test(text);
    pos = next;
  }
  chunks.push({ text: source.slice(start), firstLine: startLine });
  return chunks;
}

function outlineTokens(tokens: Token[], lineOffset: number, base: PageBase, blocks: OutlineBlock[]): void {
  let listDepth = -1;
  /** The open list items, innermost last: an item's own paragraphs fill its parts. */
  const openItems: { block: Extract<OutlineBlock, { kind: "item" }>; filled: boolean }[] = [];

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    switch (t.type) {
      case "heading_open": {
        const inline = tokens[i + 1];
        const text = inline?.type === "inline" ? plainText(inline.children ?? []) : "";
        blocks.push({ kind: "heading", level: Number(t.tag.slice(1)), text: text.trim() });
        break;
      }
      case "bullet_list_open":
      case "ordered_list_open":
        listDepth++;
        break;
      case "bullet_list_close":
      case "ordered_list_close":
        listDepth--;
        break;
      case "list_item_open": {
        const lines: [number, number] | undefined = t.map
          ? [lineOffset + t.map[0] + 1, lineOffset + t.map[1]]
          : undefined;
        // Every field set here, parts exactly as long as they are: 120,000 items of a big page are kept until
        // their section is read (a property added later, or an array grown by push, cost them 30 MB more).
        const block: Extract<OutlineBlock, { kind: "item" }> = lines
          ? { kind: "item", depth: listDepth, parts: NO_PARTS, lines }
          : { kind: "item", depth: listDepth, parts: NO_PARTS };
        blocks.push(block);
        openItems.push({ block, filled: false });
        break;
      }
      case "list_item_close":
        openItems.pop();
        break;
      case "inline": {
        const item = openItems.at(-1);
        // Only the item's own text: the paragraphs before its nested list.
        if (item && tokens[i - 1]?.type === "paragraph_open") {
          const own = inlineParts(t.children ?? [], base);
          item.block.parts =
            item.block.parts.length > 0 ? [...item.block.parts, { kind: "text", text: " " }, ...own] : own;
          item.filled = true;
        }
        break;
      }
      default:
        break;
    }
  }
}

function plainText(children: Token[]): string {
  return children
    .map((c) =>
      c.type === "text" || c.type === "code_inline" ? c.content : c.type === "softbreak" ? " " : "",
    )
    .join("");
}

function inlineParts(children: Token[], base: PageBase): InlinePart[] {
  const parts: InlinePart[] = [];
  let link: { href: string; text: string } | null = null;
  const addText = (s: string) => {
    if (link) link.text += s;
    else if (s) parts.push({ kind: "text", text: s });
  };
  for (const c of children) {
    switch (c.type) {
      case "link_open":
        link = { href: String(c.attrGet("href") ?? ""), text: "" };
        break;
      case "link_close":
        if (link) {
          const target = linkTarget(link.href, base);
          parts.push({
            kind: "link",
            text: link.text,
            url: target.url,
            ...(target.wiki ? { wiki: true } : {}),
          });
        }
        link = null;
        break;
      case "text":
      case "code_inline":
        addText(c.content);
        break;
      case "softbreak":
      case "hardbreak":
        addText(" ");
        break;
      case "image":
        addText(c.content);
        break;
      default:
        break;
    }
  }
  return parts.slice();
}

/** Where a Markdown link points if it could be a group: http(s) pages, and pages of the same wiki (relative). */
function linkTarget(href: string, base: PageBase): { url: string | null; wiki: boolean } {
  const h = href.trim();
  if (!h || h.startsWith("#")) return { url: null, wiki: false };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(h)?.[1]?.toLowerCase();
  let resolved: URL;
  try {
    resolved = new URL(h, base.href);
  } catch {
    return { url: null, wiki: false };
  }
  if (scheme) {
    if (scheme !== "http" && scheme !== "https") return { url: null, wiki: false };
    return { url: resolved.href, wiki: false };
  }
  if (isSelfLink(resolved.href, base)) return { url: null, wiki: false };
  return { url: resolved.href, wiki: true };
}
