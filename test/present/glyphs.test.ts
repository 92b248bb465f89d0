import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { countMark, digitDefs, textOutline } from "../../src/present/map/glyphs.js";
import { svgToPng } from "../../src/present/map/png.js";

const STYLE = `fill="#ffffff" stroke="#1f2933" stroke-width="2.2" stroke-opacity="0.8" paint-order="stroke"`;
const NUMBERS = [0, 7, 42, 100, 1000, 98765];
function differingPixels(x: Buffer, y: Buffer): { inked: number; differ: number } {
  const a = PNG.sync.read(x);
  const b = PNG.sync.read(y);
  let inked = 0;
  let differ = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if (a.data[i] !== 0x37) inked++; // not the background blue
    const d = Math.max(...[0, 1, 2].map((c) => Math.abs(a.data[i + c]! - b.data[i + c]!)));
    if (d > 48) differ++;
  }
  return { inked, differ };
}

const HEAD = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="60" font-family="DejaVu Sans"><rect width="320" height="60" fill="#3776ab"/>`;

describe("countMark", () => {
  it("draws a number as the shipped font's <text> would, pixel for pixel but for edge smoothing", () => {
    const asText = svgToPng(
      `${HEAD}${NUMBERS.map((n, i) => `<text x="${25 + i * 52}" y="35" text-anchor="middle" font-size="10.5" font-weight="bold" ${STYLE}>${n}</text>`).join("")}</svg>`,
    );
    const asGlyphs = svgToPng(
      `${HEAD}${digitDefs()}${NUMBERS.map((n, i) => countMark(n, 25 + i * 52, 35, 10.5, STYLE)).join("")}</svg>`,
    );
    const { inked, differ } = differingPixels(asText, asGlyphs);
    expect(inked).toBeGreaterThan(300);
    // Same outlines, same places: only anti-aliasing at a few edge pixels may differ.
    expect(differ).toBe(0);
  });

  it("labels the drawn group with the number", () => {
    expect(countMark(1000, 10, 10, 9.5, STYLE)).toContain('aria-label="1000"');
    expect(countMark(1000, 10, 10, 9.5, STYLE).match(/<use /g)).toHaveLength(4);
  });
});

describe("textOutline", () => {
  const LABELS: [string, "start" | "middle" | "end", number, boolean][] = [
    ["Kraków (12)", "start", 12.5, false],
    ["Bielsko-Biała", "end", 12.5, false],
    ["AVA Tower · Ŵ", "middle", 14, false],
    ["Katowice", "start", 15, true],
    ["8341", "end", 14, true],
    // Drawn before from its start: the cached outline must still end where <text> ends.
    ["Kraków (12)", "end", 12.5, false],
  ];
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="230" font-family="DejaVu Sans"><rect width="320" height="230" fill="#3776ab"/><g fill="#1f2933" stroke="#ffffff" stroke-width="3" paint-order="stroke">`;

  it("draws labels at every anchor, bold or not, as the shipped font's <text> would", () => {
    const asText = svgToPng(
      `${head}${LABELS.map(([t, anchor, size, bold], i) => `<text x="160" y="${30 + i * 35}" text-anchor="${anchor}" font-size="${size}"${bold ? ' font-weight="bold"' : ""}>${t}</text>`).join("")}</g></svg>`,
    );
    const asPaths = svgToPng(
      `${head}${LABELS.map(([t, anchor, size, bold], i) => textOutline(t, 160, 30 + i * 35, anchor, size, bold)).join("")}</g></svg>`,
    );
    const { inked, differ } = differingPixels(asText, asPaths);
    expect(inked).toBeGreaterThan(2000);
    // A handful of edge pixels may round differently (resvg places <text> in f32); a text off by
    // half a pixel or more differs in hundreds.
    expect(differ).toBeLessThanOrEqual(5);
  });

  it("keeps the text as the path's aria-label, escaped", () => {
    expect(textOutline('Py"<&>"', 0, 0, "start", 12)).toContain('aria-label="Py&#34;&#60;&#38;&#62;&#34;"');
    expect(textOutline("", 0, 0, "middle", 12)).toContain('d=""');
  });
});
