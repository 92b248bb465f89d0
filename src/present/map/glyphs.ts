import { Resvg } from "@resvg/resvg-js";
import { flatString } from "../../text/toolkit.js";
import { FONT_FAMILY, FONT_FILES } from "./font.js";

/**
 * Cluster counts drawn from digit outlines instead of `<text>`: resvg lays out every `<text>` element
 * on each render (about 0.1 ms each on a quiet core, several times that under load), and a big map
 * draws hundreds of counts. The outlines come from resvg's own text-to-path conversion of the shipped
 * DejaVu Sans Bold, taken once per process, so a count looks exactly as `<text>` drew it. Digits in
 * DejaVu Sans are all one advance wide, so a number is its digits side by side.
 */

/** Outlines are taken at this font size, baseline at y = 0, left edge at x = 0. */
const UNITS = 100;
const ID = "poick-digit-";

interface DigitTable {
  defs: string;
  /** Advance of one digit, in UNITS. */
  advance: number;
}

let table: DigitTable | null = null;

function digits(): DigitTable {
  if (table) return table;
  const texts = Array.from({ length: 10 }, (_, d) => `<text x="0" y="0">${d}</text>`).join("");
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" font-family="${FONT_FAMILY}" font-size="${UNITS}" font-weight="bold">` +
    `${texts}<text x="0" y="0" text-anchor="end">0</text></svg>`;
  const tree = new Resvg(svg, {
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
  }).toString();
  const paths = [...tree.matchAll(/ d="([^"]+)"/g)].map((m) => m[1]!);
  if (paths.length !== 11) throw new Error(`expected 11 digit outlines from resvg, got ${paths.length}`);
  const firstX = (d: string) => Number(/^M\s*(-?[\d.]+)/.exec(d)?.[1]);
  // The same "0" drawn from x = 0 and ending at x = 0 lies one advance apart.
  const advance = firstX(paths[0]!) - firstX(paths[10]!);
  if (!(advance > 0)) throw new Error("could not measure the digit advance");
  const defs = `<defs>${paths
    .slice(0, 10)
    .map((d, i) => `<path id="${ID}${i}" d="${short(d)}"/>`)
    .join("")}</defs>`;
  table = { defs, advance };
  return table;
}

/** The `<defs>` a picture must hold once before any `countMark`. */
export function digitDefs(): string {
  return digits().defs;
}

/**
 * A whole number drawn centred on x with its baseline at y, like
 * `<text text-anchor="middle" font-weight="bold">`; `style` holds the paint attributes (fill,
 * stroke, stroke-width in pixels, paint-order) as for that text. The number is kept as the group's aria-label.
 */
export function countMark(n: number, x: number, y: number, fontSize: number, style: string): string {
  const { advance } = digits();
  const text = String(Math.trunc(Math.abs(n)));
  const k = fontSize / UNITS;
  const x0 = x - (text.length * advance * k) / 2;
  // Stroke widths scale with the transform: style is in pixels, so it is wrapped outside the scale.
  const uses = [...text]
    .map((d, i) => `<use href="#${ID}${d}"${i ? ` x="${(i * advance).toFixed(2)}"` : ""}/>`)
    .join("");
  return `<g aria-label="${text}" transform="translate(${x0.toFixed(2)},${y.toFixed(2)}) scale(${k})" ${scaleStyle(style, k)}>${uses}</g>`;
}

/** Divides stroke-width by the scale so the halo keeps its pixel width. */
function scaleStyle(style: string, k: number): string {
  return style.replace(/stroke-width="([\d.]+)"/, (_, w) => `stroke-width="${(Number(w) / k).toFixed(3)}"`);
}

interface Outline {
  /** Path data with the text's start at x = 0 and its baseline at y = 0. */
  d: string;
  /** Width as laid out (kerning included); measured only once a label is anchored at its end or middle. */
  advance?: number;
  /** Where the first outline starts, to measure the advance against. */
  startX?: number;
}

/**
 * Outlines of whole label texts, most recently used kept: the same city names, legend words and
 * counts come back on every map of a view, and resvg would lay each one out again per render.
 * Kept by size, not count: a label's outline is ~3 KB, and at 100,000 groups most labels are group
 * names seen once (4,000 of them were 11 MiB of the renderer's heap); 2 MB keep the last ~10 maps' labels.
 */
const outlines = new Map<string, Outline>();
const OUTLINE_CHARS_KEPT = 2_000_000;
let outlineChars = 0;

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** resvg's outlines of one text drawn at x = 0 on the baseline y = 0 (the layout costs ~35 µs a glyph). */
function layout(text: string, fontSize: number, bold: boolean, anchor: "start" | "end"): string[] {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" font-family="${FONT_FAMILY}" font-size="${fontSize}"${bold ? ' font-weight="bold"' : ""}>` +
    `<text x="0" y="0" text-anchor="${anchor}">${escapeXml(text)}</text></svg>`;
  const tree = new Resvg(svg, {
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
  }).toString();
  return [...tree.matchAll(/ d="([^"]+)"/g)].map((m) => m[1]!);
}

const firstX = (d: string) => Number(/^M\s*(-?[\d.]+)/.exec(d)?.[1]);

function outline(text: string, fontSize: number, bold: boolean, needAdvance: boolean): Outline {
  const key = `${fontSize}|${bold ? "b" : ""}|${text}`;
  let o = outlines.get(key);
  if (o) {
    // Set again below, as the most recently used.
    outlines.delete(key);
    outlineChars -= key.length + o.d.length;
  } else {
    const paths = layout(text, fontSize, bold, "start");
    o = paths.length ? { d: flatString(paths.map(short).join(" ")) } : { d: "", advance: 0 };
    if (paths[0] !== undefined) o.startX = firstX(paths[0]);
  }
  if (needAdvance && o.advance === undefined) {
    // The same text ending at x = 0 lies one advance to the left of the one starting there.
    const [end] = layout(text, fontSize, bold, "end");
    o.advance = o.startX !== undefined && end !== undefined ? o.startX - firstX(end) : 0;
  }
  outlines.set(key, o);
  outlineChars += key.length + o.d.length;
  for (const [oldKey, old] of outlines) {
    if (outlineChars <= OUTLINE_CHARS_KEPT) break;
    outlines.delete(oldKey);
    outlineChars -= oldKey.length + old.d.length;
  }
  return o;
}

/** resvg's path data, compacted: 0.01 px is finer than any rasteriser sees; no spaces around commands. */
function short(d: string): string {
  return d
    .replace(/-?\d+\.\d+/g, (n) => String(Math.round(Number(n) * 100) / 100))
    .replace(/ ?([MLQCZ]) ?/g, "$1")
    .replace(/ -/g, "-");
}

/**
 * Text drawn as its outline, placed like `<text x y text-anchor>` in the shipped font; paint comes
 * from the enclosing element (fill, stroke, paint-order), as it would for `<text>`. The text is kept
 * as the path's aria-label.
 */
export function textOutline(
  text: string,
  x: number,
  y: number,
  anchor: "start" | "middle" | "end",
  fontSize: number,
  bold = false,
): string {
  const o = outline(text, fontSize, bold, anchor !== "start");
  const advance = o.advance ?? 0;
  const x0 = anchor === "start" ? x : anchor === "end" ? x - advance : x - advance / 2;
  return `<path aria-label="${escapeXml(text)}" transform="translate(${x0.toFixed(3)},${y.toFixed(2)})" d="${o.d}"/>`;
}
