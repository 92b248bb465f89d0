import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { geoArea, geoBounds } from "d3-geo";
import type { Feature, MultiPolygon, Polygon } from "geojson";
import countries from "i18n-iso-countries";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";

const require = createRequire(import.meta.url);

export type CountryFeature = Feature<Polygon | MultiPolygon, { name: string; code: string | null }>;

export interface CountryShape {
  feature: CountryFeature;
  /** [[west, south], [east, north]] in degrees; west > east when the shape crosses the antimeridian. */
  bounds: [[number, number], [number, number]];
  /** The largest polygon alone: a country view frames it, not every far-flung island or territory. */
  mainland: Feature<Polygon>;
}

export interface Atlas {
  resolution: "110m" | "50m";
  shapes: CountryShape[];
  /** By ISO 3166-1 alpha-2 code. */
  byCode: Map<string, CountryShape>;
}

/** Shapes Natural Earth draws without an ISO numeric id. */
const CODE_BY_NAME: Record<string, string> = { Kosovo: "XK", "N. Cyprus": "CY", Somaliland: "SO" };

function load(resolution: Atlas["resolution"]): Atlas {
  const topo = JSON.parse(
    readFileSync(require.resolve(`world-atlas/countries-${resolution}.json`), "utf8"),
  ) as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const collection = feature(topo, topo.objects.countries);
  const shapes: CountryShape[] = [];
  const byCode = new Map<string, CountryShape>();
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
    let mainland: Feature<Polygon> | null = null;
    let mainArea = -1;
    for (const coordinates of polygons) {
      const part: Feature<Polygon> = {
        type: "Feature",
        properties: {},
        geometry: { type: "Polygon", coordinates },
      };
      const area = geoArea(part);
      if (area > mainArea) {
        mainArea = area;
        mainland = part;
      }
    }
    const shape: CountryShape = {
      feature: { ...f, properties: { name, code } } as CountryFeature,
      bounds: geoBounds(f),
      mainland: mainland as Feature<Polygon>,
    };
    shapes.push(shape);
    // Some codes have several shapes (Australia and Ashmore Reef, Cyprus and Northern Cyprus): the largest wins.
    const prev = code ? byCode.get(code) : undefined;
    if (code && (!prev || geoArea(prev.feature) < geoArea(f))) byCode.set(code, shape);
  }
  return { resolution, shapes, byCode };
}

const atlases = new Map<Atlas["resolution"], Atlas>();

/** Country shapes, parsed once per process and per resolution, then kept. */
export function atlas(resolution: Atlas["resolution"] = "50m"): Atlas {
  let a = atlases.get(resolution);
  if (!a) {
    a = load(resolution);
    atlases.set(resolution, a);
  }
  return a;
}
