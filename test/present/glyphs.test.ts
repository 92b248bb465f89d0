import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { countMark, digitDefs } from "../../src/present/map/glyphs.js";
import { svgToPng } from "../../src/present/map/png.js";

const STYLE = `fill="#ffffff" stroke="#1f2933" stroke-width="2.2" stroke-opacity="0.8" paint-order="stroke"`;
const NUMBERS = [0, 7, 42, 100, 1000, 98765];
const HEAD = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="60" font-family="DejaVu Sans"><rect width="320" height="60" fill="#3776ab"/>`;

describe("countMark", () => {
  it("draws a number as the shipped font's <text> would, pixel for pixel but for edge smoothing", () => {
    const asText = svgToPng(
      `${HEAD}${NUMBERS.map((n, i) => `<text x="${25 + i * 52}" y="35" text-anchor="middle" font-size="10.5" font-weight="bold" ${STYLE}>${n}</text>`).join("")}</svg>`,
    );
    const asGlyphs = svgToPng(
      `${HEAD}${digitDefs()}${NUMBERS.map((n, i) => countMark(n, 25 + i * 52, 35, 10.5, STYLE)).join("")}</svg>`,
    );
    const a = PNG.sync.read(asText);
    const b = PNG.sync.read(asGlyphs);
    let inked = 0;
    let differ = 0;
    for (let i = 0; i < a.data.length; i += 4) {
      if (a.data[i] !== 0x37) inked++; // not the background blue
      const d = Math.max(...[0, 1, 2].map((c) => Math.abs(a.data[i + c]! - b.data[i + c]!)));
      if (d > 48) differ++;
    }
    expect(inked).toBeGreaterThan(300);
    // Same outlines, same places: only anti-aliasing at a few edge pixels may differ.
    expect(differ).toBe(0);
  });

  it("labels the drawn group with the number", () => {
    expect(countMark(1000, 10, 10, 9.5, STYLE)).toContain('aria-label="1000"');
    expect(countMark(1000, 10, 10, 9.5, STYLE).match(/<use /g)).toHaveLength(4);
  });
});
