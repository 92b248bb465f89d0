import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { geoArea, geoBounds } from "d3-geo";
import type { Feature, MultiPolygon, Polygon, Position } from "geojson";
import countries from "i18n-iso-countries";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";

const require = createRequire(import.meta.url);

export type CountryFeature = Feature<Polygon | MultiPolygon, { name: string; code: string | null }>;

export interface CountryShape {
  readonly name: string;
  /** ISO 3166-1 alpha-2, or null for the few shapes that have none. */
  readonly code: string | null;
  /** [[west, south], [east, north]] in degrees; west > east when the shape crosses the antimeridian. */
  readonly bounds: [[number, number], [number, number]];
  /** The shape as GeoJSON, made anew on each call: the atlas itself keeps only packed numbers. */
  feature(): CountryFeature;
  /** The largest polygon alone: a country view frames it, not every far-flung island or territory. */
  mainland(): Feature<Polygon>;
}

export interface Atlas {
  resolution: "110m" | "50m";
  shapes: CountryShape[];
  /** By ISO 3166-1 alpha-2 code. */
  byCode: Map<string, CountryShape>;
}

/** Shapes Natural Earth draws without an ISO numeric id. */
const CODE_BY_NAME: Record<string, string> = { Kosovo: "XK", "N. Cyprus": "CY", Somaliland: "SO" };

/**
 * What a prepared atlas holds besides its points: per shape its polygons as ring lengths (in points),
 * and the TopoJSON's quantisation, so that every point is two whole numbers.
 */
interface Header {
  source: string;
  resolution: Atlas["resolution"];
  /** [kx, ky, dx, dy]: lon = x · kx + dx, lat = y · ky + dy, as topojson-client decodes them. */
  transform: [number, number, number, number];
  points: number;
  shapes: {
    name: string;
    code: string | null;
    bounds: [[number, number], [number, number]];
    /** Steradians: where two shapes share a code, the larger one is the country. */
    area: number;
    /** Index of the largest polygon. */
    mainland: number;
    polygons: number[][];
  }[];
}

interface Packed {
  header: Header;
  /** x, y of every point of every ring, shape after shape, quantised. */
  coords: Int32Array;
}

const MAGIC = "POICKATL";
/** Bump when the file's layout or what it holds changes: older files are then rebuilt. */
const FORMAT = 1;

const sourceFile = (resolution: Atlas["resolution"]) =>
  require.resolve(`world-atlas/countries-${resolution}.json`);

/** Names the data a prepared atlas was made from: another world-atlas release means another atlas. */
function sourceKey(resolution: Atlas["resolution"]): string {
  const pkg = require("world-atlas/package.json") as { version: string };
  return `world-atlas@${pkg.version}/countries-${resolution}`;
}

/** The country shapes from world-atlas's TopoJSON, packed: ~100,000 points of 50m in 0.8 MB instead of ~8 MB of arrays. */
function fromTopology(resolution: Atlas["resolution"]): Packed {
  const topo = JSON.parse(readFileSync(sourceFile(resolution), "utf8")) as Topology<{
    countries: GeometryCollection<{ name: string }>;
  }>;
  if (!topo.transform) throw new Error(`world-atlas countries-${resolution} is not quantised`);
  const [kx, ky] = topo.transform.scale;
  const [dx, dy] = topo.transform.translate;
  const collection = feature(topo, topo.objects.countries);
  const shapes: Header["shapes"] = [];
  const points: number[] = [];
  const quantised = (p: Position): void => {
    const x = Math.round((p[0]! - dx) / kx);
    const y = Math.round((p[1]! - dy) / ky);
    // topojson-client computed each point as x · kx + dx; the same sum must give it back, bit for bit.
    if (x * kx + dx !== p[0] || y * ky + dy !== p[1])
      throw new Error(`world-atlas countries-${resolution}: a point off the quantisation grid`);
    points.push(x, y);
  };
  for (const f of collection.features) {
    if (f.geometry.type !== "Polygon" && f.geometry.type !== "MultiPolygon") continue;
    const name = f.properties.name;
    const code =
      (f.id !== undefined ? countries.numericToAlpha2(String(f.id)) : undefined) ??
      CODE_BY_NAME[name] ??
      null;
    const polygons =
      f.geometry.type === "Polygon"
        ? [f.geometry.coordinates]
        : (f.geometry.coordinates as Polygon["coordinates"][]);
    let mainland = 0;
    let mainArea = -1;
    for (const [i, coordinates] of polygons.entries()) {
      const area = geoArea({ type: "Polygon", coordinates });
      if (area > mainArea) {
        mainArea = area;
        mainland = i;
      }
      for (const ring of coordinates) for (const p of ring) quantised(p);
    }
    shapes.push({
      name,
      code,
      bounds: geoBounds(f),
      area: geoArea(f),
      mainland,
      polygons: polygons.map((rings) => rings.map((ring) => ring.length)),
    });
  }
  return {
    header: {
      source: sourceKey(resolution),
      resolution,
      transform: [kx, ky, dx, dy],
      points: points.length / 2,
      shapes,
    },
    coords: Int32Array.from(points),
  };
}

/**
 * The file: MAGIC, format (u32), header length (u32), the header as JSON padded with spaces to a
 * multiple of 4 bytes, the points (i32 little-endian), and a CRC-32 (u32) of everything before it.
 */
function encode(p: Packed): Buffer {
  let json = JSON.stringify(p.header);
  json += " ".repeat((4 - ((MAGIC.length + 8 + Buffer.byteLength(json)) % 4)) % 4);
  const head = Buffer.alloc(MAGIC.length + 8);
  head.write(MAGIC, 0, "latin1");
  head.writeUInt32LE(FORMAT, MAGIC.length);
  head.writeUInt32LE(Buffer.byteLength(json), MAGIC.length + 4);
  const coords = Buffer.alloc(p.coords.length * 4);
  for (let i = 0; i < p.coords.length; i++) coords.writeInt32LE(p.coords[i]!, i * 4);
  const body = Buffer.concat([head, Buffer.from(json), coords]);
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(crc32(body));
  return Buffer.concat([body, sum]);
}

/** The atlas in a prepared file, or null when the file is not one this build wrote for this data. */
function decode(file: Buffer, resolution: Atlas["resolution"]): Packed | null {
  const start = MAGIC.length + 8;
  if (file.length < start + 4 || file.toString("latin1", 0, MAGIC.length) !== MAGIC) return null;
  if (file.readUInt32LE(MAGIC.length) !== FORMAT) return null;
  if (file.readUInt32LE(file.length - 4) !== crc32(file.subarray(0, file.length - 4))) return null;
  const jsonLength = file.readUInt32LE(MAGIC.length + 4);
  const coordsStart = start + jsonLength;
  if (coordsStart % 4 !== 0 || coordsStart > file.length - 4) return null;
  let header: Header;
  try {
    header = JSON.parse(file.toString("utf8", start, coordsStart)) as Header;
  } catch {
    return null;
  }
  if (header.source !== sourceKey(resolution) || header.resolution !== resolution) return null;
  const coordsBytes = file.length - 4 - coordsStart;
  if (coordsBytes !== header.points * 8) return null;
  const counted = header.shapes.reduce(
    (n, s) => n + s.polygons.reduce((m, rings) => m + rings.reduce((k, r) => k + r, 0), 0),
    0,
  );
  if (counted !== header.points) return null;
  // A copy, so the points don't keep the whole file's buffer (nor a pooled slab) alive.
  const coords = new Int32Array(header.points * 2);
  for (let i = 0; i < coords.length; i++) coords[i] = file.readInt32LE(coordsStart + i * 4);
  return { header, coords };
}

/** Where a prepared atlas lives in a directory. */
export function atlasFile(dir: string, resolution: Atlas["resolution"]): string {
  return join(dir, `atlas-countries-${resolution}.bin`);
}

/**
 * The packed shapes: from the prepared file in `dir` when it is there and sound, otherwise from
 * world-atlas's TopoJSON (~100 ms and ~40 MB of passing allocations for 50m), then written to `dir`
 * for the next process. A directory that can't be written to costs only that: the atlas is made anew.
 */
function packed(resolution: Atlas["resolution"], dir: string | null): Packed {
  if (dir) {
    const file = atlasFile(dir, resolution);
    let ready: Packed | null = null;
    try {
      ready = decode(readFileSync(file), resolution);
    } catch {
      // missing or unreadable: made below
    }
    if (ready) return ready;
    const made = fromTopology(resolution);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(tmp, encode(made));
      renameSync(tmp, file);
    } catch {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // nothing was written
      }
    }
    return made;
  }
  return fromTopology(resolution);
}

function unpack({ header, coords }: Packed): Atlas {
  const [kx, ky, dx, dy] = header.transform;
  const ring = (from: number, length: number): Position[] => {
    const out: Position[] = new Array(length);
    for (let i = 0; i < length; i++) {
      const at = (from + i) * 2;
      out[i] = [coords[at]! * kx + dx, coords[at + 1]! * ky + dy];
    }
    return out;
  };
  const shapes: CountryShape[] = [];
  const byCode = new Map<string, CountryShape>();
  const areas = new Map<CountryShape, number>();
  let next = 0;
  for (const s of header.shapes) {
    // Where each polygon's first ring starts, in points.
    const starts: number[] = [];
    for (const rings of s.polygons) {
      starts.push(next);
      for (const n of rings) next += n;
    }
    const polygon = (i: number): Position[][] => {
      let at = starts[i]!;
      return (s.polygons[i] as number[]).map((n) => {
        const r = ring(at, n);
        at += n;
        return r;
      });
    };
    const { name, code, bounds } = s;
    const shape: CountryShape = {
      name,
      code,
      bounds,
      feature: () => ({
        type: "Feature",
        properties: { name, code },
        geometry:
          s.polygons.length === 1
            ? { type: "Polygon", coordinates: polygon(0) }
            : { type: "MultiPolygon", coordinates: s.polygons.map((_, i) => polygon(i)) },
      }),
      mainland: () => ({
        type: "Feature",
        properties: {},
        geometry: { type: "Polygon", coordinates: polygon(s.mainland) },
      }),
    };
    shapes.push(shape);
    areas.set(shape, s.area);
    // Some codes have several shapes (Australia and Ashmore Reef, Cyprus and Northern Cyprus): the largest wins.
    const prev = code ? byCode.get(code) : undefined;
    if (code && (!prev || (areas.get(prev) as number) < s.area)) byCode.set(code, shape);
  }
  return { resolution: header.resolution, shapes, byCode };
}

/** An atlas made now, from `dir`'s prepared file or the TopoJSON (see `packed`); not kept. */
export function loadAtlas(resolution: Atlas["resolution"], dir: string | null): Atlas {
  return unpack(packed(resolution, dir));
}

const atlases = new Map<Atlas["resolution"], Atlas>();
let preparedIn: string | null = null;

/**
 * Where this process keeps prepared atlases (the data directory), or null to make them from the
 * TopoJSON each time a process first needs one. Set once, before the first map.
 */
export function keepAtlasesIn(dir: string | null): void {
  preparedIn = dir;
}

/** Country shapes, loaded once per process and per resolution, then kept. */
export function atlas(resolution: Atlas["resolution"] = "50m"): Atlas {
  let a = atlases.get(resolution);
  if (!a) {
    a = loadAtlas(resolution, preparedIn);
    atlases.set(resolution, a);
  }
  return a;
}
