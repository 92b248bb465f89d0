import { groupsFromOutline } from "./outline-groups.js";
import type { ListedGroup } from "./types.js";
import { type InlinePart, isSelfLink, type OutlineBlock, type PageBase, pageBase } from "./wiki-outline.js";

/** Groups listed in a MoinMoin 1.9 page's markup (`?action=raw`), read the way moin renders it. */
export function parseWikiRaw(markup: string, pageUrl: string): ListedGroup[] {
  return groupsFromOutline(rawOutline(markup, pageUrl));
}

const HEADING = /^(=+)\s+(.*?)\s+\1\s*$/;
/** The lines moin treats as processing instructions while they open the page. */
const PROCESSING = /^(##|#format|#refresh|#redirect|#deprecated|#pragma|#form|#acl|#language)/i;
/** Moin's list lines, tried in moin's order: numbered, definition (`term:: text`), bullet or bullet-less. */
const NUMBERED = /^\s+(?:\d+|[aAiI])\.(?:#\d+)?\s(.*)$/;
const DEFINITION = /^\s+(.*?)::\s(.*)$/;
const BULLET = /^\s+[*.]\s*(.*)$/;

/** Python's `str.expandtabs()`, which moin applies before reading indentation. */
function expandTabs(line: string): string {
  if (!line.includes("\t")) return line;
  let out = "";
  for (const ch of line) out += ch === "\t" ? " ".repeat(8 - (out.length % 8)) : ch;
  return out;
}

export function rawOutline(markup: string, pageUrl: string): OutlineBlock[] {
  const base = pageBase(pageUrl);
  const blocks: OutlineBlock[] = [];
  let indents: number[] = [];
  let lastItem: Extract<OutlineBlock, { kind: "item" }> | null = null;
  let inProcessing = true;
  let inPre = false;

  const pushItem = (indent: number, parts: InlinePart[]) => {
    while (indents.length > 0 && (indents.at(-1) as number) > indent) indents.pop();
    if (indents.length === 0 || (indents.at(-1) as number) < indent) indents.push(indent);
    lastItem = { kind: "item", depth: indents.length - 1, parts };
    blocks.push(lastItem);
  };
  const endLists = () => {
    indents = [];
    lastItem = null;
  };

  for (const rawLine of markup.split(/\r?\n/)) {
    const line = expandTabs(rawLine);
    if (inProcessing && PROCESSING.test(line)) continue;
    inProcessing = false;
    if (inPre) {
      if (line.includes("}}}")) inPre = false;
      continue;
    }
    if (line.startsWith("##")) continue;
    if (line.includes("{{{") && !/\{\{\{.*\}\}\}/.test(line)) {
      inPre = true;
      endLists();
      continue;
    }
    if (!line.trim()) continue; // a blank line does not end a moin list
    const indent = line.length - line.trimStart().length;
    if (indent === 0) {
      const heading = HEADING.exec(line);
      if (heading) {
        const level = Math.min((heading[1] as string).length, 5);
        blocks.push({ kind: "heading", level, text: (heading[2] as string).trim() });
      }
      endLists();
      continue;
    }
    const numbered = NUMBERED.exec(line);
    const definition = numbered ? null : DEFINITION.exec(line);
    const bullet = numbered || definition ? null : BULLET.exec(line);
    if (numbered) pushItem(indent, inlineParts(numbered[1] as string, base));
    else if (definition) {
      const term = { kind: "text", text: `${(definition[1] as string).trim()}: ` } as const;
      pushItem(indent, [term, ...inlineParts(definition[2] as string, base)]);
    } else if (bullet) pushItem(indent, inlineParts(bullet[1] as string, base));
    else if (lastItem && indents.at(-1) === indent) {
      // An indented line without a marker at the item's own indent continues that item.
      const item = lastItem as Extract<OutlineBlock, { kind: "item" }>;
      item.parts = [...item.parts, { kind: "text", text: " " }, ...inlineParts(line.trim(), base)];
    } else pushItem(indent, inlineParts(line.trim(), base));
  }
  return blocks;
}

const U = "\\p{Lu}";
const L = "\\p{Ll}\\p{Nd}";
const PUNCT = `"'}\\]|:,.)?!`;
const SCHEMES = "http|https|ftp|nntp|news|mailto|telnet|wiki|file|irc|ircs|xmpp|webcal|ed2k|rootz";

/** One pass over a line with moin's inline rules, in moin's order (earliest match wins, then rule order). */
const INLINE = new RegExp(
  [
    `(?<emph>'{2,5})`,
    `(?<fmt>__|~- ?|-~|~\\+ ?|\\+~|--\\(|\\)--|/\\* ?| ?\\*/)`,
    `\\^(?<sup>.*?)\\^`,
    `,,(?<sub>[^,]{1,40}),,`,
    `\\{\\{\\{(?<tt>.*?)\\}\\}\\}`,
    "`(?<bt>.*?)`",
    `(?<interwiki>[A-Z][a-zA-Z]+:(?=[^ ]*[${U}${L}][^ ]* )[^\\s'":<|](?:[^\\s${PUNCT}]|[${PUNCT}][^\\s${PUNCT}])+)`,
    `(?<![${U}${L}/])(?<bang>!)?(?<word>(?:\\.\\./)*/?(?:[${U}][${L}]+){2,}(?:/(?:[${U}][${L}]+){2,})*(?:#\\S+)?)(?![${U}${L}/])`,
    `\\[\\[(?<link>.+?)\\]\\]`,
    `\\{\\{(?<transclude>.+?)\\}\\}`,
    `(?<![\\p{L}\\p{N}_])(?<url>(?:${SCHEMES}):\\S+?)(?=$|\\s|[${PUNCT}](?:\\s|$))`,
    `(?<email>[-\\w.+]+@[\\w-]+(?:\\.[\\w-]+)+)`,
    `<<(?<macro>\\w+)(?:\\((?<args>.*?)\\))?>>`,
    `&(?<entity>[a-zA-Z]+|#\\d{1,5}|#x[0-9a-fA-F]+);`,
  ].join("|"),
  "gu",
);

/** A list item's text as moin would render it: plain text plus links (markup dropped). */
export function inlineParts(text: string, base: PageBase): InlinePart[] {
  const parts: InlinePart[] = [];
  const addText = (t: string) => {
    if (t) parts.push({ kind: "text", text: t });
  };
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    addText(text.slice(last, m.index));
    last = m.index + m[0].length;
    const g = m.groups ?? {};
    if (g.emph !== undefined || g.fmt !== undefined || g.transclude !== undefined) continue;
    if (g.sup !== undefined) addText(g.sup);
    else if (g.sub !== undefined) addText(g.sub);
    else if (g.tt !== undefined) addText(g.tt);
    else if (g.bt !== undefined) addText(g.bt);
    else if (g.interwiki !== undefined) addText(g.interwiki);
    else if (g.word !== undefined) {
      if (g.bang) addText(g.word);
      else parts.push({ kind: "link", text: g.word, url: pageLink(g.word, base), wiki: true });
    } else if (g.link !== undefined) parts.push(bracketLink(g.link, base));
    else if (g.url !== undefined) parts.push({ kind: "link", text: g.url, url: externalUrl(g.url) });
    else if (g.email !== undefined) parts.push({ kind: "link", text: g.email, url: null });
    else if (g.macro !== undefined) addText(g.macro === "BR" ? " " : "");
    else if (g.entity !== undefined) addText(decodeEntity(m[0]));
  }
  addText(text.slice(last));
  // Exactly as long as it is: a page's items are all kept until their section is read.
  return parts.slice();
}

/** `[[target]]`, `[[target|text]]`, `[[target|{{image|alt}}]]`, `[[target|text|params]]`. */
function bracketLink(inner: string, base: PageBase): InlinePart {
  const pipe = inner.indexOf("|");
  const target = (pipe < 0 ? inner : inner.slice(0, pipe)).trim();
  let text = "";
  if (pipe >= 0) {
    const rest = inner.slice(pipe + 1).trim();
    const image = /^\{\{.*?(?:\|(.*?))?\}\}/.exec(rest);
    text = image ? ((image[1] ?? "").split("|")[0]?.trim() ?? "") : (rest.split("|")[0]?.trim() ?? "");
  }
  const scheme = new RegExp(`^(${SCHEMES}):`, "i").exec(target);
  if (scheme) return { kind: "link", text: text || target, url: externalUrl(target) };
  if (/^(attachment|drawing):/.test(target) || /^[A-Z][a-zA-Z]+:/.test(target)) {
    return { kind: "link", text: text || target.slice(target.indexOf(":") + 1), url: null };
  }
  return { kind: "link", text: text || target, url: pageLink(target, base), wiki: true };
}

const externalUrl = (url: string): string | null => (/^https?:\/\/./i.test(url) ? url : null);

/** A wiki page name (`KasselPython`, `/SubPage`, `../Sibling`, `Page#anchor`) as an absolute URL. */
function pageLink(target: string, base: PageBase): string | null {
  const hash = target.indexOf("#");
  let name = (hash < 0 ? target : target.slice(0, hash)).trim().replace(/\s+/g, " ");
  const anchor = hash < 0 ? "" : target.slice(hash + 1);
  if (!name) return null;
  if (name.startsWith("../")) {
    let parent = base.pageName;
    while (name.startsWith("../")) {
      parent = parent.includes("/") ? parent.slice(0, parent.lastIndexOf("/")) : "";
      name = name.slice(3);
    }
    name = parent ? `${parent}/${name}` : name;
  } else if (name.startsWith("/")) {
    name = `${base.pageName}${name}`;
  }
  const url = `${base.origin}${base.scriptRoot}${quotePageName(name)}${anchor ? `#${anchor}` : ""}`;
  return isSelfLink(url, base) ? null : url;
}

/** moin 1.9's `quoteWikinameURL`: UTF-8 percent-encoding, `/` kept. */
function quotePageName(name: string): string {
  return Array.from(new TextEncoder().encode(name), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9\-._~/]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
};

function decodeEntity(entity: string): string {
  const body = entity.slice(1, -1);
  const code = body.startsWith("#x")
    ? Number.parseInt(body.slice(2), 16)
    : body.startsWith("#")
      ? Number.parseInt(body.slice(1), 10)
      : null;
  if (code === null) return NAMED_ENTITIES[body] ?? entity;
  return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
}
