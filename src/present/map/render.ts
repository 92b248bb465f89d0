import {
  type GeoProjection,
  type GeoStream,
  geoAzimuthalEqualArea,
  geoCentroid,
  geoCircle,
  geoDistance,
  geoEqualEarth,
  geoPath,
} from "d3-geo";
import type { Feature, GeoJSON, MultiPoint, Polygon } from "geojson";
import type { Status } from "../../db/schema.js";
import { flatString } from "../../text/toolkit.js";
import { type Atlas, atlas } from "./atlas.js";
import { STATUS_CSS as STATUS_COLOR, STATUSES } from "./colors.js";
import { FONT_FAMILY, textWidth } from "./font.js";
import { countMark, digitDefs, textOutline } from "./glyphs.js";
import {
  type Box,
  type Cluster,
  clusterPoints,
  type LabelRequest,
  type Placed,
  type PlacedLabel,
  placeLabels,
} from "./layout.js";
import { escapeXml, svgToPng, svgToPngAsync } from "./png.js";

/** What a map needs to know about a group: plain data, no database rows. */
export interface MapGroup {
  name: string;
  lat: number | null;
  lon: number | null;
  status: Status;
  city?: string | null;
  countryCode?: string | null;
}

export type MapView =
  | { kind: "world" }
  | { kind: "continent"; continent: string }
  | { kind: "country"; code: string }
  | { kind: "near"; lat: number; lon: number; radiusKm: number; placeName: string };

export interface MapOptions {
  title: string;
  subtitle?: string;
  width?: number;
  height?: number;
  /** Most labels drawn; the rest of the groups are dots only. */
  maxLabels?: number;
}

export interface MapStats {
  groups: number;
  /** Groups inside the picture (the rest have no position or lie outside the view). */
  onMap: number;
  offMap: number;
  /** Circles drawn: single dots plus clusters. */
  marks: number;
  clusters: number;
  labels: number;
}

export interface RenderedMap {
  svg: string;
  /** Where each mark (a dot or a cluster) was drawn, and the groups it stands for. */
  marks: Cluster<MapGroup>[];
  labels: PlacedLabel[];
  /** Screen position -> [lon, lat], as drawn. */
  invert: (x: number, y: number) => [number, number] | null;
  png: Buffer;
  width: number;
  height: number;
  stats: MapStats;
}

/** Lon/lat boxes [west, south, east, north] that frame each continent's groups. */
const CONTINENT_BOXES: Record<string, [number, number, number, number]> = {
  africa: [-19, -35, 52, 37],
  antarctica: [-180, -90, 180, -60],
  asia: [26, -10, 146, 55],
  europe: [-24, 35, 42, 70],
  "north america": [-165, 8, -53, 70],
  "south america": [-81, -55, -35, 12],
  oceania: [112, -47, 179, -5],
  australia: [112, -47, 179, -5],
};

export function isContinent(name: string): boolean {
  return name.trim().toLowerCase() in CONTINENT_BOXES;
}

const HEADER = 64;
const MARGIN = 12;
const EARTH_RADIUS_KM = 6371.0088;
const LAND = "#f3f0e8";
const LAND_FOCUS = "#fffdf7";
const LAND_OTHER = "#e6e2d8";
const BORDER = "#a9a294";
const OCEAN = "#cfe3f1";
const INK = "#1f2933";
const PYTHON_BLUE = "#3776ab";
/** Paint of a cluster's count: white digits with a dark halo. */
const COUNT_STYLE = `fill="#ffffff" stroke="${INK}" stroke-width="2.2" stroke-opacity="0.8" paint-order="stroke"`;
/** Bottom-up drawing order: alive dots end on top. */
const DRAW_ORDER: readonly Status[] = ["unknown", "dead", "dormant", "alive"];

function boxOutline([w, s, e, n]: [number, number, number, number]): MultiPoint {
  const coordinates: [number, number][] = [];
  for (let lon = w; lon <= e; lon += 2) coordinates.push([lon, s], [lon, n]);
  for (let lat = s; lat <= n; lat += 2) coordinates.push([w, lat], [e, lat]);
  return { type: "MultiPoint", coordinates };
}

function radiusCircle(lat: number, lon: number, km: number): Feature<Polygon> {
  const degrees = ((km / EARTH_RADIUS_KM) * 180) / Math.PI;
  return {
    type: "Feature",
    properties: {},
    geometry: geoCircle().center([lon, lat]).radius(degrees).precision(2)(),
  };
}

interface Frame {
  projection: GeoProjection;
  focusCode: string | null;
  circle: Feature<Polygon> | null;
}

function frame(view: MapView, groups: MapGroup[], area: Box, shapes: Atlas): Frame {
  const extent: [[number, number], [number, number]] = [
    [area.x0, area.y0],
    [area.x1, area.y1],
  ];
  switch (view.kind) {
    case "world":
      return {
        projection: geoEqualEarth().fitExtent(extent, { type: "Sphere" }),
        focusCode: null,
        circle: null,
      };
    case "continent": {
      const box = CONTINENT_BOXES[view.continent.trim().toLowerCase()] ?? [-180, -60, 180, 80];
      const center: [number, number] = [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
      const projection = geoAzimuthalEqualArea()
        .rotate([-center[0], -center[1]])
        .fitExtent(extent, boxOutline(box));
      return { projection, focusCode: null, circle: null };
    }
    case "country": {
      const code = view.code.toUpperCase();
      const shape = shapes.byCode.get(code);
      // The mainland plus the country's groups near it: far-flung islands and territories don't shrink the map.
      const mainland = shape?.mainland();
      const middle = mainland ? geoCentroid(mainland) : null;
      const first = code.charCodeAt(0);
      const inCountry = groups.filter(
        (g) =>
          g.lat !== null &&
          g.lon !== null &&
          // First letter before toUpperCase: most of 100,000 groups are in other countries.
          ((g.countryCode?.charCodeAt(0) ?? 0) & ~0x20) === first &&
          g.countryCode?.toUpperCase() === code &&
          (!middle || geoDistance([g.lon, g.lat], middle) < 0.25),
      );
      const points: [number, number][] = inCountry.map((g) => [g.lon as number, g.lat as number]);
      const fit: GeoJSON = mainland
        ? {
            type: "GeometryCollection",
            geometries: [mainland.geometry, { type: "MultiPoint", coordinates: points }],
          }
        : { type: "MultiPoint", coordinates: points.length ? points : [[0, 0]] };
      const center = geoCentroid(fit);
      const projection = geoAzimuthalEqualArea().rotate([-center[0], -center[1]]).fitExtent(extent, fit);
      return { projection, focusCode: code, circle: null };
    }
    case "near": {
      const circle = radiusCircle(view.lat, view.lon, view.radiusKm);
      const projection = geoAzimuthalEqualArea()
        .rotate([-view.lon, -view.lat])
        .fitExtent(
          [
            [area.x0 + 30, area.y0 + 30],
            [area.x1 - 30, area.y1 - 30],
          ],
          circle,
        );
      return { projection, focusCode: null, circle };
    }
  }
}

/** The lon/lat range the picture shows, or null when it wraps the antimeridian or a pole (then nothing is culled). */
function visibleBounds(projection: GeoProjection, area: Box): [number, number, number, number] | null {
  let w = 180;
  let e = -180;
  let s = 90;
  let n = -90;
  for (let x = area.x0; x <= area.x1; x += (area.x1 - area.x0) / 24) {
    for (let y = area.y0; y <= area.y1; y += (area.y1 - area.y0) / 16) {
      const p = projection.invert?.([x, y]);
      if (!p || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) return null;
      w = Math.min(w, p[0]);
      e = Math.max(e, p[0]);
      s = Math.min(s, p[1]);
      n = Math.max(n, p[1]);
    }
  }
  if (e - w > 270 || n > 85 || s < -85) return null;
  const padLon = Math.max(2, (e - w) * 0.1);
  const padLat = Math.max(2, (n - s) * 0.1);
  return [w - padLon, s - padLat, e + padLon, n + padLat];
}

/**
 * Drops points closer than `minPx` (in both axes) to the last one kept on a line or ring: the 50m
 * coastlines carry many points per pixel at country and continent scale, which resvg would parse and
 * rasterise for nothing. The last point of a line is always kept, so rings still close where they did.
 */
function dropSubpixel(out: GeoStream, minPx: number): GeoStream {
  let inLine = false;
  let x0 = Number.NaN;
  let y0 = Number.NaN;
  let pendingX = Number.NaN;
  let pendingY = Number.NaN;
  let pending = false;
  return {
    point(x, y) {
      if (!inLine) return out.point(x, y);
      if (Math.abs(x - x0) < minPx && Math.abs(y - y0) < minPx) {
        pending = true;
        pendingX = x;
        pendingY = y;
        return;
      }
      out.point(x, y);
      x0 = x;
      y0 = y;
      pending = false;
    },
    lineStart() {
      inLine = true;
      x0 = y0 = Number.NaN;
      pending = false;
      out.lineStart();
    },
    lineEnd() {
      if (pending) out.point(pendingX, pendingY);
      inLine = false;
      out.lineEnd();
    },
    polygonStart: () => out.polygonStart(),
    polygonEnd: () => out.polygonEnd(),
    sphere: () => out.sphere?.(),
  };
}

interface LandPaths {
  land: string;
  focus: string;
}

/**
 * Country outlines as SVG path data, kept per projection: the shapes never change, so a view asked
 * for again (the world, a continent, a country with the same groups) reuses its paths.
 */
const landCache = new Map<string, LandPaths>();
const LAND_CACHE_SIZE = 48;

function landPaths(
  shapes: Atlas,
  projection: GeoProjection,
  visible: [number, number, number, number] | null,
  focusCode: string | null,
): LandPaths {
  const key = JSON.stringify([
    shapes.resolution,
    focusCode,
    projection.scale(),
    projection.translate(),
    projection.rotate(),
    projection.clipExtent(),
    projection.clipAngle() ?? null,
  ]);
  const hit = landCache.get(key);
  if (hit) {
    // Most recently used last, so the oldest entry goes first.
    landCache.delete(key);
    landCache.set(key, hit);
    return hit;
  }
  const path = geoPath({ stream: (s: GeoStream) => projection.stream(dropSubpixel(s, 0.6)) }).digits(1);
  let land = "";
  let focus = "";
  for (const shape of shapes.shapes) {
    if (visible) {
      const [[w, s], [e, n]] = shape.bounds;
      const wraps = w > e;
      if (!wraps && (e < visible[0] || w > visible[2] || n < visible[1] || s > visible[3])) continue;
    }
    const d = path(shape.feature());
    if (!d) continue;
    if (focusCode && shape.code === focusCode) focus += d;
    else land += d;
  }
  const paths = { land: flatString(land), focus: flatString(focus) };
  landCache.set(key, paths);
  if (landCache.size > LAND_CACHE_SIZE) landCache.delete(landCache.keys().next().value as string);
  return paths;
}

function pieSlices(c: Cluster<MapGroup>): string {
  const counts = STATUSES.map((s) => [s, c.items.filter((g) => g.status === s).length] as const).filter(
    ([, n]) => n > 0,
  );
  const r = c.r;
  const cx = c.x.toFixed(1);
  const cy = c.y.toFixed(1);
  if (counts.length === 1) {
    return `<circle cx="${cx}" cy="${cy}" r="${r.toFixed(1)}" fill="${STATUS_COLOR[counts[0]![0]]}"/>`;
  }
  let angle = -Math.PI / 2;
  let out = "";
  for (const [status, n] of counts) {
    const sweep = (2 * Math.PI * n) / c.items.length;
    const a0 = angle;
    const a1 = angle + sweep;
    angle = a1;
    const p = (a: number) => `${(c.x + r * Math.cos(a)).toFixed(1)},${(c.y + r * Math.sin(a)).toFixed(1)}`;
    out += `<path d="M${cx},${cy}L${p(a0)}A${r.toFixed(1)},${r.toFixed(1)} 0 ${sweep > Math.PI ? 1 : 0} 1 ${p(a1)}Z" fill="${STATUS_COLOR[status]}"/>`;
  }
  return out;
}

function niceScaleKm(kmPerPx: number): number {
  for (const km of [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]) if (km / kmPerPx >= 70) return km;
  return 5000;
}

/**
 * A fixed order for labels that rank the same. Not localeCompare: ICU's collation data is ~3 MiB of
 * the renderer's resident memory, for a tie-break no one sees.
 */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const shortName = (s: string) => (s.length > 28 ? `${s.slice(0, 27)}…` : s);

/** Draws groups on a map (world, continent, country or around a place) and returns SVG and PNG. */
export function renderMap(groups: MapGroup[], view: MapView, opts: MapOptions): RenderedMap {
  const map = drawMap(groups, view, opts);
  return { ...map, png: svgToPng(map.svg) };
}

/** renderMap with the PNG rasterised off the event loop (see svgToPngAsync): for the bot. */
export async function renderMapAsync(
  groups: MapGroup[],
  view: MapView,
  opts: MapOptions,
): Promise<RenderedMap> {
  const map = drawMap(groups, view, opts);
  return { ...map, png: await svgToPngAsync(map.svg) };
}

function drawMap(groups: MapGroup[], view: MapView, opts: MapOptions): Omit<RenderedMap, "png"> {
  const width = opts.width ?? 1200;
  const height = opts.height ?? (view.kind === "world" ? 680 : 820);
  const area: Box = { x0: MARGIN, y0: HEADER, x1: width - MARGIN, y1: height - MARGIN };
  const shapes = atlas(view.kind === "world" ? "110m" : "50m");
  const { projection, focusCode, circle } = frame(view, groups, area, shapes);
  if (view.kind !== "world")
    projection.clipExtent([
      [area.x0, area.y0],
      [area.x1, area.y1],
    ]);
  const path = geoPath(projection).digits(1);
  const visible = view.kind === "world" ? null : visibleBounds(projection, area);
  const { land, focus } = landPaths(shapes, projection, visible, focusCode);

  // Project once, then cluster in screen space.
  const placed: Placed<MapGroup>[] = [];
  let noPosition = 0;
  for (const g of groups) {
    if (g.lat === null || g.lon === null) {
      noPosition++;
      continue;
    }
    // Cheap lon/lat test first: most of 100,000 groups lie outside a country view.
    if (visible && (g.lon < visible[0] || g.lon > visible[2] || g.lat < visible[1] || g.lat > visible[3]))
      continue;
    const p = projection([g.lon, g.lat]);
    if (!p || p[0] < area.x0 || p[0] > area.x1 || p[1] < area.y0 || p[1] > area.y1) continue;
    placed.push({ x: p[0], y: p[1], item: g });
  }
  const marks = clusterPoints(placed);
  const singles = marks.filter((m) => m.items.length === 1);
  const clusters = marks.filter((m) => m.items.length > 1);
  const rank = (s: Status) => DRAW_ORDER.indexOf(s);
  singles.sort((a, b) => rank(a.items[0]!.status) - rank(b.items[0]!.status));
  clusters.sort((a, b) => a.items.length - b.items.length);

  // Labels: alive groups first, then by size; a cluster of one city is labelled with that city.
  const labelSize = 12.5;
  // Plain loops: at world scale the marks hold all 100,000 groups between them.
  const aliveCount = (c: Cluster<MapGroup>) => {
    let n = 0;
    for (const g of c.items) if (g.status === "alive") n++;
    return n;
  };
  const oneCity = (c: Cluster<MapGroup>) => {
    const first = c.items[0]!.city ?? "";
    for (const g of c.items) if ((g.city ?? "") !== first) return "";
    return first;
  };
  const requests: LabelRequest[] = marks
    .map((c) => {
      const city = c.items.length === 1 ? "" : oneCity(c);
      const text =
        c.items.length === 1
          ? shortName(c.items[0]!.name)
          : city
            ? `${shortName(city)} (${c.items.length})`
            : "";
      return { c, text, alive: aliveCount(c) };
    })
    .filter((q) => q.text)
    .sort(
      (a, b) =>
        Number(b.alive > 0) - Number(a.alive > 0) ||
        b.alive - a.alive ||
        b.c.items.length - a.c.items.length ||
        byCodeUnits(a.text, b.text),
    )
    .map(({ c, text }) => ({
      text,
      x: c.x,
      y: c.y,
      r: c.r,
      width: textWidth(text, labelSize),
      height: labelSize + 2,
    }));

  const legendBox: Box = { x0: area.x0, y0: area.y1 - 150, x1: area.x0 + 200, y1: area.y1 };
  const reserved = [
    { x: (legendBox.x0 + legendBox.x1) / 2, y: (legendBox.y0 + legendBox.y1) / 2, r: 100 },
    { x: area.x1 - 90, y: area.y1 - 20, r: 90 },
  ];
  let placeMark = "";
  const fixedLabels: LabelRequest[] = [];
  if (view.kind === "near") {
    const p = projection([view.lon, view.lat]);
    if (p) {
      const [x, y] = p;
      placeMark =
        // A hollow target, drawn under the dots: a group in the place itself stays visible.
        `<g stroke="${PYTHON_BLUE}" stroke-width="2.5" fill="none"><circle cx="${x}" cy="${y}" r="11"/>` +
        `<path d="M${x - 17},${y}H${x - 7}M${x + 7},${y}H${x + 17}M${x},${y - 17}V${y - 7}M${x},${y + 7}V${y + 17}"/></g>`;
      fixedLabels.push({
        text: view.placeName,
        x,
        y,
        r: 15,
        width: textWidth(view.placeName, 15, true),
        height: 17,
      });
      reserved.push({ x, y, r: 9 });
    }
  }
  const allMarks = [...marks.map((m) => ({ x: m.x, y: m.y, r: m.r })), ...reserved];
  const maxLabels = opts.maxLabels ?? (view.kind === "world" ? 40 : 60);
  // The searched place is always named, even over dots: it is what the picture is about.
  const [placeLabel] = placeLabels(fixedLabels, [], area, 1);
  const labels = placeLabels(
    requests,
    placeLabel
      ? [
          ...allMarks,
          {
            x: (placeLabel.box.x0 + placeLabel.box.x1) / 2,
            y: (placeLabel.box.y0 + placeLabel.box.y1) / 2,
            r: (placeLabel.box.x1 - placeLabel.box.x0) / 2,
          },
        ]
      : allMarks,
    area,
    maxLabels,
  );

  const counts: Record<Status, number> = { alive: 0, dormant: 0, dead: 0, unknown: 0 };
  for (const p of placed) counts[p.item.status]++;
  const offMap = groups.length - noPosition - placed.length;

  const svg: string[] = [];
  svg.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  );
  if (view.kind === "world") {
    svg.push(`<path d="${path({ type: "Sphere" })}" fill="${OCEAN}"/>`);
  } else {
    svg.push(
      `<rect x="${area.x0}" y="${area.y0}" width="${area.x1 - area.x0}" height="${area.y1 - area.y0}" fill="${OCEAN}"/>`,
    );
  }
  svg.push(
    `<path d="${land}" fill="${focusCode ? LAND_OTHER : LAND}" stroke="${BORDER}" stroke-width="0.6" stroke-linejoin="round"/>`,
  );
  if (focus)
    svg.push(
      `<path d="${focus}" fill="${LAND_FOCUS}" stroke="#6d675c" stroke-width="1.2" stroke-linejoin="round"/>`,
    );
  if (circle) {
    svg.push(
      `<path d="${path(circle)}" fill="${PYTHON_BLUE}" fill-opacity="0.07" stroke="${PYTHON_BLUE}" stroke-width="2" stroke-dasharray="8 5"/>`,
    );
  }
  svg.push(placeMark);
  svg.push(`<g stroke="#ffffff" stroke-width="1.2">`);
  for (const m of singles) {
    svg.push(
      `<circle cx="${m.x.toFixed(1)}" cy="${m.y.toFixed(1)}" r="${m.r}" fill="${STATUS_COLOR[m.items[0]!.status]}"/>`,
    );
  }
  svg.push("</g>");
  if (clusters.length) svg.push(digitDefs());
  for (const c of clusters) {
    svg.push(
      `<g stroke="#ffffff" stroke-width="1">${pieSlices(c)}</g>`,
      `<circle cx="${c.x.toFixed(1)}" cy="${c.y.toFixed(1)}" r="${c.r.toFixed(1)}" fill="none" stroke="${INK}" stroke-opacity="0.55" stroke-width="1"/>`,
      countMark(c.items.length, c.x, c.y + 3.8, c.items.length >= 100 ? 9.5 : 10.5, COUNT_STYLE),
    );
  }
  svg.push(
    `<g font-size="${labelSize}" fill="${INK}" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">`,
  );
  for (const l of labels) svg.push(textOutline(l.text, l.x, l.y, l.anchor, labelSize));
  svg.push("</g>");
  if (placeLabel) {
    svg.push(
      `<g fill="${PYTHON_BLUE}" stroke="#ffffff" stroke-width="3.5" paint-order="stroke">`,
      textOutline(placeLabel.text, placeLabel.x, placeLabel.y, placeLabel.anchor, 15, true),
      "</g>",
    );
  }

  // Legend
  const rows = STATUSES.map((s) => [s, counts[s]] as const);
  const lx = legendBox.x0 + 10;
  let ly = legendBox.y1 - 10 - (rows.length + 1) * 22;
  svg.push(
    `<rect x="${legendBox.x0}" y="${ly - 18}" width="180" height="${(rows.length + 1) * 22 + 20}" rx="6" fill="#ffffff" fill-opacity="0.92" stroke="#c9c3b6"/>`,
  );
  svg.push(`<g font-size="14" fill="${INK}">`);
  for (const [status, n] of rows) {
    svg.push(
      `<circle cx="${lx + 8}" cy="${ly - 5}" r="6" fill="${STATUS_COLOR[status]}" stroke="#fff"/>`,
      textOutline(`${status[0]!.toUpperCase()}${status.slice(1)}`, lx + 22, ly, "start", 14),
      textOutline(String(n), lx + 160, ly, "end", 14, true),
    );
    ly += 22;
  }
  svg.push(
    `<circle cx="${lx + 8}" cy="${ly - 5}" r="8" fill="#cccccc" stroke="${INK}" stroke-opacity="0.55"/>`,
    `<g fill="#fff" stroke="${INK}" stroke-width="2" paint-order="stroke">`,
    textOutline("n", lx + 8, ly - 1.5, "middle", 9, true),
    "</g>",
    textOutline("n groups in one spot", lx + 22, ly, "start", 12.5),
    "</g>",
  );

  // Scale bar (not on the world map, where scale varies too much to mean anything)
  if (view.kind !== "world") {
    const c = projection.invert?.([(area.x0 + area.x1) / 2, (area.y0 + area.y1) / 2]);
    const c2 = projection.invert?.([(area.x0 + area.x1) / 2 + 100, (area.y0 + area.y1) / 2]);
    if (c && c2) {
      const kmPerPx = (geoDistance(c, c2) * EARTH_RADIUS_KM) / 100;
      const km = niceScaleKm(kmPerPx);
      const px = km / kmPerPx;
      const x1 = area.x1 - 14;
      const y = area.y1 - 30;
      svg.push(
        `<g stroke="${INK}" stroke-width="2" fill="none"><path d="M${(x1 - px).toFixed(1)},${y - 5}V${y}H${x1}V${y - 5}"/></g>`,
        `<text x="${(x1 - px / 2).toFixed(1)}" y="${y - 8}" text-anchor="middle" font-size="12" fill="${INK}" stroke="#fff" stroke-width="3" paint-order="stroke">${km} km</text>`,
      );
    }
  }
  svg.push(
    `<text x="${area.x1 - 4}" y="${area.y1 - 6}" text-anchor="end" font-size="10" fill="#5f6b76">Shapes: Natural Earth · Poick</text>`,
  );

  // Header
  const notes: string[] = [];
  // A map around a place is given only the groups near it (read from the spatial index), so it cannot count
  // the rest of the world's.
  if (offMap > 0 && view.kind !== "world" && view.kind !== "near") notes.push(`${offMap} outside this view`);
  if (noPosition > 0) notes.push(`${noPosition} without a known place`);
  const subtitle = [opts.subtitle, ...notes].filter(Boolean).join(" · ");
  svg.push(
    `<text x="${MARGIN + 2}" y="30" font-size="24" font-weight="bold" fill="${INK}">${escapeXml(opts.title)}</text>`,
    `<text x="${MARGIN + 2}" y="53" font-size="14" fill="#52606d">${escapeXml(subtitle)}</text>`,
    "</svg>",
  );
  const svgText = svg.join("");
  return {
    svg: svgText,
    marks,
    labels: placeLabel ? [placeLabel, ...labels] : labels,
    invert: (x, y) => projection.invert?.([x, y]) ?? null,
    width,
    height,
    stats: {
      groups: groups.length,
      onMap: placed.length,
      offMap,
      marks: marks.length,
      clusters: clusters.length,
      labels: labels.length + (placeLabel ? 1 : 0),
    },
  };
}
