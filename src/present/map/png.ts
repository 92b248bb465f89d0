import { Resvg } from "@resvg/resvg-js";
import { FONT_FAMILY, FONT_FILES } from "./font.js";

/** SVG to PNG with the shipped font only: no system font lookups, identical text everywhere. */
export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    shapeRendering: 2,
    textRendering: 1,
  });
  return resvg.render().asPng();
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
