import { countryCode } from "../geo/countries.js";
import {
  channelKind,
  isBareAddress,
  isChannelLabel,
  mentionsChannel,
  onlyChannelWords,
  primaryChannel,
} from "./channels.js";
import { normalizeUrl } from "./normalize-url.js";
import type { Channel, ListedGroup, SkippedItem } from "./types.js";
import {
  collapse,
  groupLinkIndex,
  type InlinePart,
  type ItemReading,
  labelOfItem,
  looksLikePlace,
  NON_GEOGRAPHIC,
  type OutlineBlock,
  type Place,
  readItem,
  SUBDIVIDED,
  textOf,
} from "./wiki-outline.js";

/**
 * Outline → groups, the way a person counts them on the page: one group per top-level item; a group's nested
 * links are its channels; a section made only of one community's channel links is one group; intro bullets,
 * continent-wide channels, conferences and resource sites are skipped with a reason. All readers (MoinMoin
 * HTML and markup, Sphinx HTML, MyST Markdown) end here, so they cannot drift apart.
 */
export interface GroupsFromOutline {
  groups: ListedGroup[];
  skipped: SkippedItem[];
}

type ItemBlock = Extract<OutlineBlock, { kind: "item" }>;
type LinkPart = Extract<InlinePart, { kind: "link" }> & { url: string };

interface Node {
  block: ItemBlock;
  children: Node[];
}

interface SectionCtx {
  path: (string | null)[];
  heading: string | null;
  /** The section is a continent's own list, above any country heading. */
  continentWide: boolean;
  section: number;
}

interface Draft {
  name: string;
  url: string | null;
  description: string | null;
  channels: Channel[];
  reading: ItemReading | null;
  lines: [number, number] | null;
  ctx: SectionCtx;
}

type Result =
  | { kind: "group"; draft: Draft }
  | { kind: "channels"; channels: Channel[]; text: string; lines: [number, number] | null }
  | { kind: "name"; text: string; lines: [number, number] | null }
  | { kind: "skip"; text: string; reason: string };

/** Headings that mark a part of a section without naming a place ("Inactive groups", "User Groups", "Other Africa"). */
const MARKER_HEADING =
  /^((inactive|defunct|former|dead|old|archived|dormant)\b.*|(local\s+)?(python\s+)?(user\s+)?groups|other\b.*)$/i;
const HEADER_ITEM = /\b(by state|by city|regional|local|cities|communities|chapters|branches)\b/i;
const CONFERENCE = /\b(pycon|djangocon|conference)\b/i;
const USER_GROUP_WORDS =
  /\b(user ?groups?|users'? groups?|usergroup|community|communities|meetups?|pug|meets|meeting|association|club)\b/i;
const RESOURCE = /\b(web ?site|site|homepage|portal|translations?)\b/i;
const MAILING_LIST_NAME = /\bmail(ing)? ?list\b/i;
const WIKI_HELP = /(StartingYourUsersGroup|TipsForInHouseUserGroups|\/Category[A-Z]\w*|HelpOn\w+)/;

const usableLinks = (parts: readonly InlinePart[]): LinkPart[] =>
  parts.filter((p): p is LinkPart => p.kind === "link" && p.url !== null);

const cleanName = (s: string): string => {
  let t = collapse(s.replace(/\\/g, "").replace(/'{2,}/g, ""));
  t = t.replace(/^[\s[\-–—]+/u, "");
  if (!t.includes("[")) t = t.replace(/\]+$/u, "");
  return t.replace(/[\s,;:]+$/u, "").trim();
};

/** "Python Ghana - Ghana" → name "Python Ghana", description "Ghana". */
function splitNameLine(text: string): { name: string; description: string | null } {
  const t = cleanName(text.replace(/\s+(is|are|was|were)\s.*$/u, "").replace(/[.\s]+$/u, ""));
  // The first " - " outside brackets: "PyGuj (Python User Group - Gujarat)" is one name.
  for (const m of t.matchAll(/\s+[-–—]\s+/gu)) {
    const head = t.slice(0, m.index);
    if ((head.match(/\(/g) ?? []).length !== (head.match(/\)/g) ?? []).length) continue;
    return { name: cleanName(head), description: collapse(t.slice(m.index + m[0].length)) };
  }
  return { name: t, description: null };
}

const toChannel = (l: LinkPart): Channel => ({
  kind: channelKind(l.url, l.text),
  url: l.url,
  label: collapse(l.text),
});

function spanOf(node: Node): [number, number] | null {
  const first = node.block.lines;
  if (!first) return null;
  let last = first[1];
  const walk = (n: Node) => {
    if (n.block.lines) last = Math.max(last, n.block.lines[1]);
    n.children.forEach(walk);
  };
  node.children.forEach(walk);
  return [first[0], last];
}

/** Every link of a subtree, as channels (a channel list or a "Website:" header's items). */
function channelsOfTree(node: Node): Channel[] {
  const own = usableLinks(node.block.parts)
    .filter((l) => !l.wiki)
    .map(toChannel);
  return [...own, ...node.children.flatMap(channelsOfTree)];
}

// ---------------------------------------------------------------------------------------------------------
// Places named in prose

const CAP = "\\p{Lu}[\\p{L}\\p{M}.]*";
const JOIN = "(?:\\s(?:de|do|da|dos|das|del|di|am|an|upon|on|sur|la|le)\\s|\\s|-)";
const PLACE_RUN = `${CAP}(?:${JOIN}${CAP})*`;
const POSSESSIVE = new RegExp(`(${PLACE_RUN}(?:,\\s${PLACE_RUN})?)['’]s\\b`, "gu");
const IN_PHRASE = new RegExp(
  `\\b(?:in|at|around|near|from|of)\\s+(?:the\\s+)?(${PLACE_RUN}(?:,\\s${PLACE_RUN})?)`,
  "gu",
);
const PAREN = /\(([^()]{2,60})\)/gu;
const PY_AFFIX = [
  /^Py(?:thon)?(\p{Lu}\p{Ll}{2,}(?:\p{Lu}\p{Ll}+)*)$/u,
  /^(\p{Lu}\p{Ll}{2,})(?:Py(?:thon)?|PUG|Django\w*|Pypers)$/u,
  /^Py(\p{Lu}\p{Ll}+)$/u,
];

function cleanHint(s: string): string {
  return collapse(
    s
      .replace(/['’]s$/u, "")
      .replace(/^[("[]+|[)\]"]+$/gu, "")
      .replace(/[.,;:]+$/u, ""),
  );
}

/** Phrases of a group's name and description that may be its city or region, surest form first. */
export function placeHints(name: string, description: string | null): string[] {
  const hints: string[] = [];
  const add = (s: string | null | undefined) => {
    if (!s) return;
    const h = cleanHint(s).replace(/^(the|in|at|of)\s+/iu, "");
    if (h && h.length <= 48 && looksLikePlace(h) && !hints.includes(h)) hints.push(h);
    const bare = h.replace(/\s+(area|region|metro(politan)?(\s+area)?)$/iu, "");
    if (bare !== h && looksLikePlace(bare) && !hints.includes(bare)) hints.push(bare);
    const head = h.split(",")[0]?.trim();
    if (head && head !== h && looksLikePlace(head) && !hints.includes(head)) hints.push(head);
  };
  const texts = [description ?? "", name];
  for (const t of texts) if (/['’]s\b/u.test(t)) for (const m of t.matchAll(POSSESSIVE)) add(m[1]);
  for (const t of texts) for (const m of t.matchAll(IN_PHRASE)) add(m[1]);
  for (const t of texts) {
    for (const m of t.matchAll(/(?:^|\s)[-–—]\s+([^-–—(;:]+)/gu)) add((m[1] as string).split(/[.(]/u)[0]);
  }
  // Capitalised runs of the name and description that are not group vocabulary: "Cape Town Python Users Group".
  for (const t of texts) {
    let run: string[] = [];
    const flush = () => {
      if (run.length > 0) add(run.join(" "));
      if (run.length > 1) {
        add(run[0]);
        add(run.at(-1));
      }
      run = [];
    };
    for (const word of t.split(/\s+/u)) {
      const w = word.replace(/^[("[]+|[)\],.;:!?"]+$/gu, "");
      if (w && looksLikePlace(w, { alone: false })) run.push(w);
      else flush();
      if (/[,.;:)]$/.test(word)) flush();
    }
    flush();
    for (const token of t.split(/[^\p{L}\p{M}.'’-]+/u)) {
      for (const piece of [token, ...token.split(/[-.]/u)]) {
        // Every affix form names "Py", "PUG" or "Django": most words are skipped without running the patterns.
        if (piece.includes("Py") || piece.includes("PUG") || piece.includes("Django")) {
          for (const re of PY_AFFIX) {
            const m = re.exec(piece);
            if (m) add(m[1]);
          }
        }
        if (piece !== token && piece.length >= 4) add(piece);
        // "PhoenixGeoPythonGroup", "TorontoDjangoPython": the first CamelCase word (4+ letters, then 2+ words).
        if (piece.length >= 8) {
          const camel = piece.split(/(?=\p{Lu}\p{Ll})/u);
          if (camel.length > 2 && (camel[0]?.length ?? 0) >= 4) add(camel[0]);
        }
      }
    }
  }
  for (const t of texts) {
    for (const m of t.matchAll(PAREN)) {
      const inner = m[1] as string;
      add(inner);
      for (const piece of inner.split(/\s*[/,]\s*/u)) add(piece);
    }
  }
  return hints;
}

// ---------------------------------------------------------------------------------------------------------
// Reading items

function draftFromReading(
  reading: ItemReading,
  node: Node,
  ctx: SectionCtx,
  channels: Channel[],
  nameOverride?: { name: string; description: string | null },
): Draft {
  let name = cleanName(nameOverride?.name ?? reading.name);
  const labelled = /^([^:]{1,20}):\s*(.+)$/u.exec(name);
  if (labelled && isChannelLabel(labelled[1] as string)) name = cleanName(labelled[2] as string);
  let description = nameOverride ? nameOverride.description : reading.description;
  if (/^(https?:\/\/|www\.)\S+$/i.test(name) && description) {
    // The link shows its own address: the name is the description's first phrase ("- Py.Amsterdam - …").
    const first = description.split(/\s+[-–—]\s+|[,:]\s/u)[0]?.trim();
    if (first && /^\p{Lu}/u.test(first)) {
      name = cleanName(first);
      description =
        collapse(
          description.slice(description.indexOf(first) + first.length).replace(/^[\s\-–—,:.]+/u, ""),
        ) || null;
    }
  }
  return {
    name,
    url: reading.url,
    description,
    channels,
    reading,
    lines: spanOf(node),
    ctx,
  };
}

type ChildRole = "channel" | "branch";

function childRole(child: Node): ChildRole {
  const links = usableLinks(child.block.parts).filter((l) => !l.wiki);
  const first = links[0];
  if (!first) return child.children.length > 0 ? "branch" : "channel";
  const idx = child.block.parts.indexOf(first);
  const prefix = collapse(textOf(child.block.parts.slice(0, idx))).replace(/[\s:–—-]+$/u, "");
  const after = collapse(textOf(child.block.parts.slice(idx + 1)).replace(/^[\s\-–—:,]+/u, ""));
  if (isChannelLabel(first.text) || isBareAddress(first.text) || (prefix && isChannelLabel(prefix)))
    return "channel";
  if (looksLikePlace(cleanName(first.text))) return "branch";
  if (/\b(branch|chapter|sub-?group)\b/i.test(after)) return "branch";
  if (channelKind(first.url, first.text) !== "website") return "channel";
  return after && links.length === 1 ? "branch" : "channel";
}

function skipReason(d: Draft): string | null {
  let desc = d.description ?? "";
  for (const c of d.channels) desc = desc.replace(c.label, " ");
  const all = `${d.name} ${desc}`;
  if (d.url && WIKI_HELP.test(d.url)) return "a wiki help page, not a group";
  if (CONFERENCE.test(d.name) && !/\buser ?groups?\b/i.test(d.description ?? ""))
    return "a conference, not a group";
  if (MAILING_LIST_NAME.test(d.name)) return "a mailing list, not a group";
  if (RESOURCE.test(all) && !USER_GROUP_WORDS.test(all)) return "a resource site, not a group";
  return null;
}

class OutlineReader {
  readonly results: Result[] = [];

  /** One item and what it holds; branches and header children follow it in page order. */
  read(node: Node, ctx: SectionCtx, inherited: string | null): void {
    const parts = node.block.parts;
    const links = usableLinks(parts);
    const text = collapse(textOf(parts));
    const bare = text.replace(/[\s:–—-]+$/u, "");
    const lines = spanOf(node);
    const labelHead = /^([^:]{1,30}):/u.exec(text)?.[1] ?? "";

    if (links.length === 0) {
      if (node.children.length === 0) {
        this.results.push(
          isChannelLabel(bare) || isChannelLabel(labelHead)
            ? { kind: "channels", channels: [], text, lines }
            : { kind: "name", text, lines },
        );
        return;
      }
      if (isChannelLabel(bare)) {
        this.results.push({ kind: "channels", channels: node.children.flatMap(channelsOfTree), text, lines });
        return;
      }
      if (looksLikePlace(bare) || /:\s*$/.test(text) || HEADER_ITEM.test(bare)) {
        const label = labelOfItem(text);
        this.results.push({ kind: "skip", text, reason: "a heading item over other groups" });
        for (const child of node.children)
          this.read(child, ctx, label && looksLikePlace(label) ? label : inherited);
        return;
      }
      // A named group whose links are all in its sub-list ("Python Ghana - Ghana", then its channels).
      const { name, description } = splitNameLine(text);
      const channels: Channel[] = [];
      const branches: Node[] = [];
      for (const child of node.children) {
        if (childRole(child) === "channel") channels.push(...channelsOfTree(child));
        else branches.push(child);
      }
      const primary = primaryChannel(channels);
      this.results.push({
        kind: "group",
        draft: {
          name,
          url: primary?.url ?? null,
          description,
          channels,
          reading: null,
          lines,
          ctx,
        },
      });
      for (const b of branches) this.read(b, ctx, inherited);
      return;
    }

    const g = groupLinkIndex(parts);
    const link = parts[g] as LinkPart;
    const prefix = collapse(textOf(parts.slice(0, g)));
    const prefixBare = prefix.replace(/[\s:–—,-]+$/u, "");
    const lineChannels = (except: LinkPart | null) =>
      links.filter((l) => l !== except && !l.wiki).map(toChannel);
    const channels: Channel[] = [];
    const branches: Node[] = [];
    for (const child of node.children) {
      if (childRole(child) === "channel") channels.push(...channelsOfTree(child));
      else branches.push(child);
    }
    const finish = (draft: Draft) => {
      const reason = skipReason(draft);
      if (reason) this.results.push({ kind: "skip", text, reason });
      else this.results.push({ kind: "group", draft });
      for (const b of branches) this.read(b, ctx, inherited);
    };

    const reading = readItem(parts, inherited);
    // "Sri Lanka Python User Group (LK-PUG) [LK-PUG Facebook fan page](…)": a name, then a channel link.
    const prefixNames =
      prefixBare.split(" ").length >= 2 &&
      !looksLikePlace(prefixBare) &&
      !isChannelLabel(prefixBare) &&
      mentionsChannel(link.text);
    if (
      prefixNames ||
      isChannelLabel(link.text) ||
      (prefixBare && isChannelLabel(prefixBare) && !looksLikePlace(prefixBare))
    ) {
      const all = [...lineChannels(null), ...channels];
      if (prefixBare && !isChannelLabel(prefixBare)) {
        // "Django Bogotá: [Meetup](…)", "GTU Python User Group, Ahmedabad - [Meetup Group](…)": the name is the prefix.
        const primary = primaryChannel(all);
        const name = splitNameLine(prefixBare).name;
        finish({
          name,
          url: primary?.url ?? null,
          description: null,
          channels: all,
          reading: null,
          lines,
          ctx,
        });
        return;
      }
      this.results.push({ kind: "channels", channels: all, text, lines });
      for (const b of branches) this.read(b, ctx, inherited);
      return;
    }
    if (!reading) return;

    if (link.wiki) {
      const others = [...lineChannels(link), ...channels];
      if (others.length > 0) {
        // "[PyLadies](./PyLadies.html) Ghana" with its own links: the wiki page is a mention, the site is a channel.
        // Named from the item's text as Sphinx shows it (where the wiki link is plain text), so both readers agree.
        const { name, description } = splitNameLine(text);
        const primary = primaryChannel(others);
        const d = draftFromReading({ ...reading, url: primary?.url ?? reading.url }, node, ctx, others, {
          name,
          description: description ?? reading.description,
        });
        finish(d);
        return;
      }
    }
    const named =
      isBareAddress(link.text) && prefixBare && !looksLikePlace(prefixBare)
        ? { name: splitNameLine(prefixBare.replace(/[[\]]/g, " ")).name, description: reading.description }
        : undefined;
    finish(draftFromReading(reading, node, ctx, [...lineChannels(link), ...channels], named));
  }
}

function buildTree(items: readonly ItemBlock[]): Node[] {
  const roots: Node[] = [];
  const stack: Node[] = [];
  for (const block of items) {
    const node: Node = { block, children: [] };
    while (stack.length > 0 && (stack.at(-1) as Node).block.depth >= block.depth) stack.pop();
    const parent = stack.at(-1);
    if (parent) parent.children.push(node);
    else roots.push(node);
    stack.push(node);
  }
  return roots;
}

const headingText = (s: string): string => collapse(s.replace(/¶/gu, ""));

const cleanKey = (s: string) =>
  s
    .toLowerCase()
    .replace(/\b2\b/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();

/**
 * Headings and list items → groups and skipped items, following the continent / country / region path.
 * Takes the blocks over: the array is emptied once they are split into sections, so each section's blocks
 * are freed as soon as its groups are read (a 100,000-group page's outline is 70 MB).
 */
export function readOutline(blocks: OutlineBlock[]): GroupsFromOutline {
  const levels = blocks.flatMap((b) => (b.kind === "heading" && b.level >= 2 ? [b.level] : []));
  const skipped: SkippedItem[] = [];
  if (levels.length === 0) return { groups: [], skipped };
  const top = Math.min(...levels);

  // Split into sections (items under one heading), keeping the heading path.
  interface Section {
    ctx: SectionCtx;
    items: ItemBlock[];
    skipReason: string | null;
  }
  const sections: Section[] = [];
  let path: (string | null)[] = [];
  let skipBelow: { level: number; reason: string } | null = null;
  let current: Section = {
    ctx: { path: [], heading: null, continentWide: false, section: -1 },
    items: [],
    skipReason: "introduction, before the first region",
  };
  sections.push(current);

  blocks.forEach((block, index) => {
    if (block.kind === "item") {
      current.items.push(block);
      return;
    }
    const text = headingText(block.text);
    if (skipBelow && block.level > skipBelow.level) {
      current = { ctx: { ...current.ctx, section: index }, items: [], skipReason: skipBelow.reason };
      sections.push(current);
      return;
    }
    skipBelow = null;
    if (block.level < top) {
      path = [];
      current = {
        ctx: { path: [], heading: text, continentWide: false, section: index },
        items: [],
        skipReason: "introduction, before the first region",
      };
      sections.push(current);
      return;
    }
    const depth = block.level - top;
    path = path.slice(0, depth);
    while (path.length < depth) path.push(null);
    if (NON_GEOGRAPHIC.test(text)) {
      skipBelow = { level: block.level, reason: `under "${text}", which lists no groups` };
      current = {
        ctx: { path: [...path], heading: text, continentWide: false, section: index },
        items: [],
        skipReason: skipBelow.reason,
      };
      sections.push(current);
      return;
    }
    path.push(MARKER_HEADING.test(text) ? null : text || null);
    const countryLike = depth === 0 ? countryCode(text) !== null : depth >= 1;
    current = {
      ctx: { path: [...path], heading: text, continentWide: !countryLike, section: index },
      items: [],
      skipReason: null,
    };
    sections.push(current);
  });

  blocks.length = 0;

  // Each section's drafts become groups at once, so a 100,000-group page never holds every draft and every
  // group together; items without an address are reported after all sections, as a person reads the page.
  const seen = new Set<string>();
  const groups: ListedGroup[] = [];
  const noAddress: SkippedItem[] = [];
  for (const s of sections) {
    if (s.items.length === 0) continue;
    const tree = buildTree(s.items);
    s.items = [];
    if (s.skipReason) {
      for (const n of tree)
        skipped.push({ text: collapse(textOf(n.block.parts)), reason: s.skipReason, heading: s.ctx.heading });
      continue;
    }
    const reader = new OutlineReader();
    for (const n of tree) reader.read(n, s.ctx, null);
    for (const d of sectionGroups(reader.results, s.ctx, skipped)) {
      if (!d.url) {
        noAddress.push({ text: d.name, reason: "no web address", heading: d.ctx.heading });
        continue;
      }
      const key = normalizeUrl(d.url);
      if (seen.has(key)) continue;
      seen.add(key);
      groups.push(toGroup(d, key));
    }
  }
  skipped.push(...noAddress);
  return { groups, skipped };
}

export function groupsFromOutline(blocks: OutlineBlock[]): ListedGroup[] {
  return readOutline(blocks).groups;
}

/** A section's results → groups: channel-only sections become one group, stray channels join the group above. */
function sectionGroups(results: Result[], ctx: SectionCtx, skipped: SkippedItem[]): Draft[] {
  const drafts: Draft[] = [];
  const named = results.filter((r) => r.kind === "group");
  const channelItems = results.filter((r) => r.kind === "channels");
  const names = results.filter((r) => r.kind === "name");

  if (named.length === 0 && channelItems.some((c) => c.kind === "channels" && c.channels.length > 0)) {
    if (ctx.continentWide) {
      for (const c of channelItems)
        skipped.push({
          text: c.text,
          reason: "a channel for the whole region, not a group",
          heading: ctx.heading,
        });
      for (const r of results)
        if (r.kind === "skip") skipped.push({ text: r.text, reason: r.reason, heading: ctx.heading });
      return [];
    }
    const channels = channelItems.flatMap((c) => (c.kind === "channels" ? c.channels : []));
    const nameItem = names[0];
    const name = nameItem?.kind === "name" ? cleanName(nameItem.text) : `Python ${ctx.heading ?? ""}`.trim();
    const primary = primaryChannel(channels);
    const lines = [...channelItems, ...names].flatMap((r) =>
      (r.kind === "channels" || r.kind === "name") && r.lines ? [r.lines] : [],
    );
    drafts.push({
      name,
      url: primary?.url ?? null,
      description: null,
      channels,
      reading: null,
      lines:
        lines.length > 0 ? [Math.min(...lines.map((l) => l[0])), Math.max(...lines.map((l) => l[1]))] : null,
      ctx,
    });
    for (const r of results)
      if (r.kind === "skip") skipped.push({ text: r.text, reason: r.reason, heading: ctx.heading });
    for (const n of names.slice(1))
      if (n.kind === "name") skipped.push({ text: n.text, reason: "no web address", heading: ctx.heading });
    return drafts;
  }

  let last: Draft | null = null;
  let lastKey = "";
  for (const r of results) {
    if (r.kind === "group") {
      const prev: Draft | null = last;
      const key = cleanKey(r.draft.name);
      // "Python Algeria" then "Python Algeria 2", "PyTUG Wiki" then "PyTUG Groups": one group's links.
      if (prev && sameGroupKey(lastKey, key)) {
        if (r.draft.url)
          prev.channels.push({
            kind: channelKind(r.draft.url, r.draft.name),
            url: r.draft.url,
            label: r.draft.name,
          });
        prev.channels.push(...r.draft.channels);
        continue;
      }
      drafts.push(r.draft);
      last = r.draft;
      lastKey = key;
    } else if (r.kind === "channels") {
      if (ctx.continentWide || !last) {
        if (r.channels.length > 0 || r.text) {
          skipped.push({
            text: r.text,
            reason: ctx.continentWide
              ? "a channel for the whole region, not a group"
              : "a channel link with no group",
            heading: ctx.heading,
          });
        }
      } else last.channels.push(...r.channels);
    } else if (r.kind === "name") {
      skipped.push({ text: r.text, reason: "no web address", heading: ctx.heading });
    } else skipped.push({ text: r.text, reason: r.reason, heading: ctx.heading });
  }
  return drafts;
}

/** Two names' keys (cleanKey, each found once per name) that name one group. */
function sameGroupKey(ka: string, kb: string): boolean {
  if (ka === kb) return true;
  const fa = ka.split(" ")[0] ?? "";
  const fb = kb.split(" ")[0] ?? "";
  // Same first word and both the rest channel words ("PyTUG Wiki" / "PyTUG Groups").
  return (
    fa.length >= 4 &&
    fa === fb &&
    onlyChannelWords(ka.slice(fa.length)) &&
    onlyChannelWords(kb.slice(fb.length))
  );
}

/** A draft with an address as a listed group; `key` is its address's normalizeUrl. */
function toGroup(d: Draft, key: string): ListedGroup {
  const [c0, c1, ...rest] = d.ctx.path;
  let continent: string | null = c0 ?? null;
  let country: string | null = c1 ?? null;
  let subs = rest;
  const topCountry = c0 ? countryCode(c0) : null;
  if (topCountry) {
    // "## USA" / "## Canada": the top heading is the country, the next one its state or province.
    continent = null;
    country = c0 ?? null;
    subs = [c1 ?? null, ...rest];
  }
  const namedSubs = subs.filter((s): s is string => s !== null);
  const place: Place | null = d.reading?.place ?? null;
  let regionHeading: string | null = null;
  let cityHeading: string | null = null;
  const subdivided = topCountry !== null || SUBDIVIDED.test(country ?? "");
  if (namedSubs.length >= 2) {
    regionHeading = namedSubs[0] as string;
    cityHeading = namedSubs[namedSubs.length - 1] as string;
  } else if (namedSubs.length === 1) {
    if (subdivided || d.reading?.placeFromPrefix) regionHeading = namedSubs[0] as string;
    else cityHeading = namedSubs[0] as string;
  }
  const hint = place?.regionHint ?? null;
  const hintIsCountry = hint !== null && country !== null && hint.toLowerCase() === country.toLowerCase();
  return new OutlineGroup(
    {
      name: d.name,
      url: d.url as string,
      continent,
      country,
      region: regionHeading ?? (hintIsCountry ? null : hint),
      city: place?.city ?? cityHeading,
      description: d.description,
      channels: dedupeChannels(d.channels, key),
      lines: d.lines,
    },
    place?.city ?? null,
  );
}

/**
 * A listed group whose place hints are found on first use. Finding them costs more than the rest of reading the
 * item (a dozen patterns over the name and description), and the geocoder asks for them only when the city text
 * alone names no place: at 100,000 groups, 1.2 s of a sync for answers nobody read.
 */
class OutlineGroup implements ListedGroup {
  name: string;
  url: string;
  continent: string | null;
  country: string | null;
  region: string | null;
  city: string | null;
  description: string | null;
  channels: Channel[];
  lines: [number, number] | null;
  /** The item's own place text, which is no hint (the city reading already tried it). */
  readonly #placeCity: string | null;
  #hints: string[] | undefined;

  constructor(g: Required<Omit<ListedGroup, "placeHints">>, placeCity: string | null) {
    this.name = g.name;
    this.url = g.url;
    this.continent = g.continent;
    this.country = g.country;
    this.region = g.region;
    this.city = g.city;
    this.description = g.description;
    this.channels = g.channels;
    this.lines = g.lines;
    this.#placeCity = placeCity;
  }

  get placeHints(): string[] {
    this.#hints ??= placeHints(this.name, this.description).filter((h) => h !== this.#placeCity);
    return this.#hints;
  }
}

/** Most groups list no other links: one empty list for all of them (an array each is 3 MB at 100,000). */
const NO_CHANNELS = Object.freeze([]) as unknown as Channel[];

function dedupeChannels(channels: Channel[], primaryKey: string): Channel[] {
  if (channels.length === 0) return NO_CHANNELS;
  const seen = new Set<string>([primaryKey]);
  const out: Channel[] = [];
  for (const c of channels) {
    const key = normalizeUrl(c.url);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(c);
  }
  return out;
}
