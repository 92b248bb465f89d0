import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** DejaVu Sans ships with the app (npm dejavu-fonts-ttf), so text looks the same on every machine. */
export const FONT_FAMILY = "DejaVu Sans";
export const FONT_FILES = [
  require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf"),
  require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf"),
];

/**
 * A width estimate for DejaVu Sans text, in pixels: the font's mean advance is about 0.6 em for
 * mixed-case Latin (capitals and 'm'/'w' wider, 'i'/'l' narrower). Used only to keep labels apart,
 * so it errs on the wide side.
 */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const ch of text) {
    if (/[il.,:;'|!]/.test(ch)) em += 0.3;
    else if (/[ frtj()[\]-]/.test(ch)) em += 0.42;
    else if (/[A-Z]|[mw]/.test(ch)) em += 0.74;
    else if (/[0-9]/.test(ch)) em += 0.64;
    else em += 0.62;
  }
  return em * fontSize * (bold ? 1.1 : 1);
}
