import { Resvg, type ResvgRenderOptions, renderAsync } from "@resvg/resvg-js";
import { FONT_FAMILY, FONT_FILES } from "./font.js";

const OPTIONS: ResvgRenderOptions = {
  font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
  shapeRendering: 2,
  textRendering: 1,
};

/** SVG to PNG with the shipped font only: no system font lookups, identical text everywhere. */
export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, OPTIONS).render().asPng();
}

/** The same PNG, rendered on libuv's thread pool. */
export async function svgToPngAsync(svg: string): Promise<Buffer> {
  return (await renderAsync(svg, OPTIONS)).asPng();
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
