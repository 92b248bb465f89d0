import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import { afterEach, describe, expect, it } from "vitest";
import { type Atlas, atlasFile, loadAtlas } from "../../src/present/map/atlas.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "poick-atlas-"));
  dirs.push(d);
  return d;
}

/** world-atlas's shapes as topojson-client decodes them: what the maps drew before the atlas was packed. */
function fromTopoJson(resolution: Atlas["resolution"]) {
  const file = createRequire(import.meta.url).resolve(`world-atlas/countries-${resolution}.json`);
  const topo = JSON.parse(readFileSync(file, "utf8")) as Topology<{
    countries: GeometryCollection<{ name: string }>;
  }>;
  return feature(topo, topo.objects.countries).features.flatMap((f) =>
    f.geometry.type === "Polygon"
      ? [{ name: f.properties.name, polygons: [f.geometry.coordinates] }]
      : f.geometry.type === "MultiPolygon"
        ? [{ name: f.properties.name, polygons: f.geometry.coordinates }]
        : [],
  );
}

/** Every shape's name, code, outline box and every point, as plain data to compare. */
const shapesOf = (a: Atlas) =>
  a.shapes.map((s) => {
    const f = s.feature();
    const g = f.geometry;
    return {
      name: s.name,
      code: s.code,
      bounds: s.bounds,
      polygons: g.type === "Polygon" ? [g.coordinates] : g.coordinates,
    };
  });

describe("the atlas", () => {
  it("keeps every point of world-atlas's shapes, bit for bit", () => {
    for (const resolution of ["110m", "50m"] as const) {
      const packed = loadAtlas(resolution, null);
      const source = fromTopoJson(resolution);
      expect(packed.shapes.map((s) => s.name)).toEqual(source.map((f) => f.name));
      for (const [i, f] of source.entries()) {
        const g = packed.shapes[i]!.feature().geometry;
        expect(g.type === "Polygon" ? [g.coordinates] : g.coordinates).toEqual(f.polygons);
      }
    }
  });

  it("frames a country by its largest polygon, and a code shared by two shapes goes to the larger", () => {
    const a = loadAtlas("50m", null);
    const norway = a.byCode.get("NO")!;
    // Mainland Norway, not Svalbard or Jan Mayen.
    const ring = norway.mainland().geometry.coordinates[0]!;
    expect(ring.every(([lon, lat]) => lon! > 4 && lon! < 32 && lat! > 57 && lat! < 72)).toBe(true);
    expect(a.byCode.get("AU")?.name).toBe("Australia");
    expect(a.byCode.get("CY")?.name).toBe("Cyprus");
  });

  it("is prepared once in the data directory, then read from there", () => {
    const dir = tempDir();
    const first = loadAtlas("110m", dir);
    const file = atlasFile(dir, "110m");
    const written = statSync(file);
    const again = loadAtlas("110m", dir);
    // Read, not made and written again: the same file (a rewrite renames a new one over it).
    expect(statSync(file).ino).toBe(written.ino);
    expect(statSync(file).mtimeMs).toBe(written.mtimeMs);
    expect(shapesOf(again)).toEqual(shapesOf(first));
    expect(shapesOf(again)).toEqual(shapesOf(loadAtlas("110m", null)));
  });

  it("is prepared again when its file is missing, cut short, damaged or not an atlas", () => {
    const dir = tempDir();
    const file = atlasFile(dir, "110m");
    const expected = shapesOf(loadAtlas("110m", null));
    loadAtlas("110m", dir);
    const good = readFileSync(file);
    const damaged = Buffer.from(good);
    damaged.writeUInt8(damaged.readUInt8(damaged.length >> 1) ^ 0xff, damaged.length >> 1); // a point in the middle
    const otherFormat = Buffer.from(good);
    otherFormat.writeUInt32LE(999, 8);
    for (const bad of [null, good.subarray(0, good.length - 100), damaged, otherFormat, Buffer.from("{}")]) {
      if (bad) writeFileSync(file, bad);
      else rmSync(file);
      expect(shapesOf(loadAtlas("110m", dir))).toEqual(expected);
      expect(readFileSync(file).equals(good)).toBe(true);
    }
  });

  it("still draws when the data directory can't be written", () => {
    const dir = tempDir();
    const blocker = join(dir, "a-file");
    writeFileSync(blocker, "");
    const a = loadAtlas("110m", join(blocker, "data"));
    expect(shapesOf(a)).toEqual(shapesOf(loadAtlas("110m", null)));
  });
});
