import { Resvg, renderAsync } from "@resvg/resvg-js";
import { FONT_FAMILY, FONT_FILES } from "./font.js";

/** SVG to PNG with the shipped font only: no system font lookups, identical text everywhere. */
export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, OPTIONS).render().asPng();
}

/**
 * The same picture, rendered on libuv's thread pool: a big map is 50–100 ms of native work, which
 * the bot's event loop need not wait through (other interactions keep being answered meanwhile).
 */
export async function svgToPngAsync(svg: string): Promise<Buffer> {
  return (await renderAsync(svg, OPTIONS)).asPng();
}

const OPTIONS = {
  font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
  shapeRendering: 2,
  textRendering: 1,
} as const;

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
