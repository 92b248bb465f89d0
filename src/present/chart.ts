import type { AreaShare, ScanPoint, StatsChartData } from "../jobs/chart-data.js";
import { STATUS_CSS as STATUS_COLOR, STATUSES } from "./map/colors.js";
import { FONT_FAMILY, textWidth } from "./map/font.js";
import { escapeXml, svgToPng } from "./map/png.js";

export interface StatsChartInput {
  title: string;
  subtitle?: string;
  areas: AreaShare[];
  history: ScanPoint[];
}

export interface RenderedChart {
  svg: string;
  png: Buffer;
  width: number;
  height: number;
}

const INK = "#1f2933";
const MUTED = "#616e7c";
const GRID = "#e4e7eb";

const pct = (part: number, whole: number) => (whole === 0 ? 0 : (100 * part) / whole);

/** English month names written out: ICU's date formatting would add ~7 MiB to the renderer's memory. */
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function shortDate(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

/** Rounds up to 1, 2 or 5 times a power of ten, for axis ticks. */
function niceMax(v: number): number {
  if (v <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 4, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * Two panels in one picture: stacked status bars per area with the alive share in words, and the
 * number of alive groups at each past scan. Hand-written SVG (about a hundred lines) instead of
 * vega-lite: vega pulls in a large runtime and canvas-free text measuring for two simple charts.
 */
export function renderStatsChart(input: StatsChartInput, size = { width: 1200, height: 620 }): RenderedChart {
  const { width, height } = size;
  const svg: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="20" y="34" font-size="24" font-weight="bold" fill="${INK}">${escapeXml(input.title)}</text>`,
  ];
  if (input.subtitle)
    svg.push(`<text x="20" y="58" font-size="14" fill="${MUTED}">${escapeXml(input.subtitle)}</text>`);

  // Left panel: bars
  const top = 112;
  const bottom = height - 60;
  const labelW = Math.min(200, Math.max(80, ...input.areas.map((a) => textWidth(a.label, 13))) + 10);
  const barX = 20 + labelW;
  const barW = width * 0.55 - barX - 70;
  svg.push(
    `<text x="20" y="${top - 18}" font-size="16" font-weight="bold" fill="${INK}">Share of groups alive</text>`,
  );
  if (input.areas.length === 0) {
    svg.push(`<text x="20" y="${top + 30}" font-size="14" fill="${MUTED}">No groups yet.</text>`);
  }
  const rowH = Math.min(40, (bottom - top) / Math.max(1, input.areas.length));
  const barH = Math.max(8, rowH * 0.62);
  for (const [i, a] of input.areas.entries()) {
    const y = top + i * rowH;
    svg.push(
      `<text x="${barX - 10}" y="${(y + barH / 2 + 4.5).toFixed(1)}" text-anchor="end" font-size="13" fill="${INK}">${escapeXml(a.label)}</text>`,
    );
    let x = barX;
    for (const s of STATUSES) {
      const w = (barW * a.byStatus[s]) / Math.max(1, a.total);
      if (w > 0)
        svg.push(
          `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${barH.toFixed(1)}" fill="${STATUS_COLOR[s]}"/>`,
        );
      x += w;
    }
    svg.push(
      `<text x="${barX + barW + 8}" y="${(y + barH / 2 + 4.5).toFixed(1)}" font-size="13" fill="${INK}"><tspan font-weight="bold">${Math.round(pct(a.byStatus.alive, a.total))}%</tspan><tspan fill="${MUTED}"> of ${a.total}</tspan></text>`,
    );
  }
  // Legend under the bars
  let lx = 20;
  for (const s of STATUSES) {
    svg.push(
      `<rect x="${lx}" y="${height - 34}" width="14" height="14" fill="${STATUS_COLOR[s]}"/>`,
      `<text x="${lx + 20}" y="${height - 22}" font-size="13" fill="${INK}">${s}</text>`,
    );
    lx += 40 + textWidth(s, 13);
  }

  // Right panel: alive groups per scan
  const px0 = width * 0.58 + 40;
  const px1 = width - 30;
  const py0 = top + 10;
  const py1 = bottom - 20;
  svg.push(
    `<text x="${px0 - 40}" y="${top - 18}" font-size="16" font-weight="bold" fill="${INK}">Alive groups at each scan</text>`,
  );
  const h = input.history;
  if (h.length === 0) {
    svg.push(
      `<text x="${px0 - 40}" y="${top + 30}" font-size="14" fill="${MUTED}">No finished scan yet.</text>`,
    );
  } else {
    const yMax = niceMax(Math.max(...h.map((p) => p.checked)));
    const X = (i: number) => (h.length === 1 ? (px0 + px1) / 2 : px0 + ((px1 - px0) * i) / (h.length - 1));
    const Y = (v: number) => py1 - ((py1 - py0) * v) / yMax;
    for (let t = 0; t <= 4; t++) {
      const v = (yMax * t) / 4;
      svg.push(
        `<line x1="${px0}" x2="${px1}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="${GRID}"/>`,
        `<text x="${px0 - 8}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end" font-size="12" fill="${MUTED}">${Math.round(v)}</text>`,
      );
    }
    const line = (key: "alive" | "checked") =>
      h.map((p, i) => `${i ? "L" : "M"}${X(i).toFixed(1)},${Y(p[key]).toFixed(1)}`).join("");
    svg.push(
      `<path d="${line("checked")}" fill="none" stroke="${MUTED}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
      `<path d="${line("alive")}" fill="none" stroke="${STATUS_COLOR.alive}" stroke-width="3" stroke-linejoin="round"/>`,
    );
    for (const [i, p] of h.entries())
      svg.push(
        `<circle cx="${X(i).toFixed(1)}" cy="${Y(p.alive).toFixed(1)}" r="3.5" fill="${STATUS_COLOR.alive}" stroke="#fff"/>`,
      );
    const last = h.at(-1) as ScanPoint;
    svg.push(
      `<text x="${X(h.length - 1).toFixed(1)}" y="${(Y(last.alive) - 10).toFixed(1)}" text-anchor="end" font-size="14" font-weight="bold" fill="${INK}" stroke="#fff" stroke-width="3" paint-order="stroke">${last.alive} alive</text>`,
    );
    const ticks = Math.min(h.length, 6);
    for (let t = 0; t < ticks; t++) {
      const i = ticks === 1 ? 0 : Math.round(((h.length - 1) * t) / (ticks - 1));
      svg.push(
        `<text x="${X(i).toFixed(1)}" y="${py1 + 18}" text-anchor="middle" font-size="12" fill="${MUTED}">${shortDate((h[i] as ScanPoint).at)}</text>`,
      );
    }
    svg.push(
      `<line x1="${px0}" x2="${px0 + 24}" y1="${height - 27}" y2="${height - 27}" stroke="${STATUS_COLOR.alive}" stroke-width="3"/>`,
      `<text x="${px0 + 30}" y="${height - 22}" font-size="13" fill="${INK}">alive</text>`,
      `<line x1="${px0 + 90}" x2="${px0 + 114}" y1="${height - 27}" y2="${height - 27}" stroke="${MUTED}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
      `<text x="${px0 + 120}" y="${height - 22}" font-size="13" fill="${INK}">checked</text>`,
    );
  }
  svg.push(
    `<text x="${width - 14}" y="${height - 8}" text-anchor="end" font-size="10" fill="${MUTED}">Poick</text>`,
    "</svg>",
  );
  const text = svg.join("");
  return { svg: text, png: svgToPng(text), width, height };
}

/** The stats picture `/pug stats` and `poick stats --chart` share: title, one-line summary, both panels. */
export function statsChart(data: StatsChartData, now: Date): RenderedChart {
  const total = data.areas.reduce((n, a) => n + a.total, 0);
  const alive = data.areas.reduce((n, a) => n + a.byStatus.alive, 0);
  return renderStatsChart({
    title:
      data.scope === "the world" ? "Python user groups of the world" : `Python user groups in ${data.scope}`,
    subtitle: `${alive} of ${total} alive (${Math.round(pct(alive, total))}%) · ${now.toISOString().slice(0, 10)}`,
    areas: data.areas,
    history: data.history,
  });
}
