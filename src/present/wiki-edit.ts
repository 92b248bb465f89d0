import MarkdownIt from "markdown-it";
import { normalizeUrl } from "../sources/normalize-url.js";

export type WikiFormat = "myst" | "moin";

/** A listing entry to move: found by its URL on the item's own line, else by its name. */
export interface EntryToMove {
  url: string;
  name: string;
  /**
   * The group's other links. The reader counts consecutive items that are plainly one group's links
   * ("X" and "X 2") as one group; an item right after the entry whose own line holds one of these moves too.
   */
  alsoUrls?: string[];
}

export interface WikiEdit {
  text: string;
  moved: EntryToMove[];
  notFound: EntryToMove[];
}

export const INACTIVE_HEADING = "Inactive groups";

interface Heading {
  line: number;
  level: number;
  text: string;
}

interface Item {
  start: number;
  /** One past the item's last non-blank line. */
  end: number;
}

const isBlank = (s: string) => s.trim() === "";
const isMarker = (text: string) => text.trim().toLowerCase() === INACTIVE_HEADING.toLowerCase();

function mystOutline(lines: string[], source: string): { headings: Heading[]; items: Item[] } {
  const tokens = new MarkdownIt("commonmark").parse(source, {});
  const headings: Heading[] = [];
  const items: Item[] = [];
  for (const [i, t] of tokens.entries()) {
    if (t.type === "heading_open" && t.map) {
      headings.push({ line: t.map[0], level: Number(t.tag.slice(1)), text: tokens[i + 1]?.content ?? "" });
    }
    // Top-level list items only (level 1 = inside a list at the document's top level): sub-lists move with them.
    if (t.type === "list_item_open" && t.level === 1 && t.map) {
      let end = t.map[1];
      while (end > t.map[0] + 1 && isBlank(lines[end - 1] ?? "")) end--;
      items.push({ start: t.map[0], end });
    }
  }
  return { headings, items };
}

const MOIN_HEADING = /^(=+)\s+(.*?)\s+\1\s*$/;
const MOIN_ITEM = /^(\s+)(?:\*|\d+\.|[aAiI]\.|\.)\s?/;

function moinOutline(lines: string[]): { headings: Heading[]; items: Item[] } {
  const headings: Heading[] = [];
  const items: Item[] = [];
  let base: number | null = null;
  let current: Item | null = null;
  let currentIndent = 0;
  const close = () => {
    if (current) {
      while (current.end > current.start + 1 && isBlank(lines[current.end - 1] ?? "")) current.end--;
      items.push(current);
    }
    current = null;
  };
  for (const [i, line] of lines.entries()) {
    if (isBlank(line)) {
      if (current) current.end = i + 1;
      continue;
    }
    const indent = line.length - line.trimStart().length;
    if (indent === 0) {
      close();
      base = null;
      const h = MOIN_HEADING.exec(line);
      if (h) headings.push({ line: i, level: (h[1] as string).length, text: h[2] as string });
      continue;
    }
    const item = MOIN_ITEM.exec(line);
    if (item && (base === null || indent <= base)) {
      close();
      base = indent;
      current = { start: i, end: i + 1 };
      currentIndent = indent;
      continue;
    }
    if (current && indent > currentIndent) current.end = i + 1;
    else close();
  }
  close();
  return { headings, items };
}

const LINK = /https?:\/\/[^\s|\])>"']+/g;

function matches(line: string, e: EntryToMove): boolean {
  if (line.includes(e.url)) return true;
  const wanted = normalizeUrl(e.url);
  for (const m of line.matchAll(LINK)) if (normalizeUrl(m[0]) === wanted) return true;
  return false;
}

/**
 * Moves the listed entries under an "Inactive groups" heading at the end of their section (one level
 * below the section's heading), each with its nested sub-list; every other line stays byte-identical.
 * Entries already under such a heading stay where they are; a second run adds to the existing heading.
 */
export function moveInactiveEntries(source: string, format: WikiFormat, entries: EntryToMove[]): WikiEdit {
  const eol = source.includes("\r\n") ? "\r" : "";
  const lines = source.split("\n");
  const { headings, items } = format === "myst" ? mystOutline(lines, source) : moinOutline(lines);
  const headingAt = new Map(headings.map((h) => [h.line, h]));

  const sectionOf = (line: number) => {
    let idx = -1;
    for (const [i, h] of headings.entries()) if (h.line < line) idx = i;
    return idx;
  };
  const nextHeadingLine = (idx: number) => headings[idx + 1]?.line ?? lines.length;

  const remaining = [...entries];
  const moved: EntryToMove[] = [];
  // Insertion point (a line index to insert before) -> what goes there.
  const inserts = new Map<number, { heading: string | null; blocks: string[][] }>();
  const removed = new Set<number>();

  for (let k = 0; k < items.length; k++) {
    if (remaining.length === 0) break;
    const item = items[k] as Item;
    const s = sectionOf(item.start);
    const section = headings[s];
    if (section && isMarker(section.text)) continue;
    const first = lines[item.start] ?? "";
    let hit = remaining.findIndex((e) => matches(first, e));
    if (hit < 0) hit = remaining.findIndex((e) => e.name.trim().length >= 4 && first.includes(e.name.trim()));
    if (hit < 0) continue;
    const [entry] = remaining.splice(hit, 1);
    moved.push(entry as EntryToMove);

    // The section ends at the next heading; a marker sub-heading right there already holds inactive entries.
    let at = nextHeadingLine(s);
    let heading: string | null;
    const next = headingAt.get(at);
    const level = (section?.level ?? 1) + 1;
    if (next && isMarker(next.text) && next.level === level) {
      at = nextHeadingLine(s + 1);
      heading = null;
    } else {
      heading =
        format === "myst"
          ? `${"#".repeat(Math.min(level, 6))} ${INACTIVE_HEADING}${eol}`
          : `${"=".repeat(Math.min(level, 5))} ${INACTIVE_HEADING} ${"=".repeat(Math.min(level, 5))}${eol}`;
    }
    const slot = inserts.get(at) ?? { heading, blocks: [] };
    inserts.set(at, slot);
    // The item, and the items right after it that are the same group's other links.
    const group = [item];
    const others = (entry as EntryToMove).alsoUrls ?? [];
    for (let n = items[k + 1]; n && others.length; n = items[k + 1]) {
      const prev = group.at(-1) as Item;
      const adjacent = lines.slice(prev.end, n.start).every(isBlank) && sectionOf(n.start) === s;
      const first = lines[n.start] ?? "";
      if (!adjacent || !others.some((url) => matches(first, { url, name: "" }))) break;
      group.push(n);
      k++;
    }
    for (const part of group) {
      slot.blocks.push(lines.slice(part.start, part.end));
      // The item's lines and the blank lines after it (its separator) leave together.
      let end = part.end;
      while (end < lines.length && end < at && isBlank(lines[end] ?? "") && !headingAt.has(end)) end++;
      for (let i = part.start; i < end; i++) removed.add(i);
    }
  }

  const out: string[] = [];
  const emit = (at: number) => {
    const slot = inserts.get(at);
    if (!slot) return;
    // The blank lines that end the section go after the new block, before the next heading.
    const tail: string[] = [];
    while (out.length && isBlank(out.at(-1) as string)) tail.unshift(out.pop() as string);
    const spaced = format === "myst";
    if (out.length && (slot.heading !== null || spaced)) out.push(eol);
    if (slot.heading !== null) {
      out.push(slot.heading);
      if (spaced) out.push(eol);
    }
    for (const [k, block] of slot.blocks.entries()) {
      if (spaced && k > 0) out.push(eol);
      out.push(...block);
    }
    out.push(...(tail.length ? tail : at < lines.length ? [eol] : []));
  };
  for (const [i, line] of lines.entries()) {
    emit(i);
    if (!removed.has(i)) out.push(line);
  }
  emit(lines.length);
  return { text: out.join("\n"), moved, notFound: remaining };
}
