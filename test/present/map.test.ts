import { geoArea, geoContains, geoDistance } from "d3-geo";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { allCountries } from "../../src/geo/countries.js";
import { atlas, type CountryFeature } from "../../src/present/map/atlas.js";
import { STATUS_CSS as STATUS_COLOR } from "../../src/present/map/colors.js";
import { type MapGroup, renderMap, renderMapAsync } from "../../src/present/map/render.js";
import { realCities } from "../helpers/cities.js";

const cities = realCities();

const katowice = { lat: 50.2584, lon: 19.0275 };

function decode(png: Buffer) {
  return PNG.sync.read(png);
}

function pixel(img: PNG, x: number, y: number): string {
  const i = (Math.round(y) * img.width + Math.round(x)) * 4;
  return `#${[img.data[i], img.data[i + 1], img.data[i + 2]].map((v) => (v ?? 0).toString(16).padStart(2, "0")).join("")}`;
}

/** The largest city of each country the atlas draws (GeoNames data, as the geocoder places groups). */
function biggestCityPerCountry(): MapGroup[] {
  const best = new Map<
    string,
    { name: string; population: number; loc: { coordinates: [number, number] } }
  >();
  for (const c of cities) {
    const prev = best.get(c.country);
    if (!prev || c.population > prev.population) best.set(c.country, c);
  }
  return [...best.entries()].map(([code, c]) => ({
    name: c.name,
    city: c.name,
    countryCode: code,
    lon: c.loc.coordinates[0],
    lat: c.loc.coordinates[1],
    status: "alive" as const,
  }));
}

describe("renderMap", () => {
  it("renders a PNG of the requested size that decodes", () => {
    const map = renderMap(
      [{ name: "PySilesia", ...katowice, status: "alive", city: "Katowice" }],
      { kind: "world" },
      {
        title: "Python user groups",
        width: 900,
        height: 520,
      },
    );
    const img = decode(map.png);
    expect([img.width, img.height]).toEqual([900, 520]);
    expect(map.png.subarray(1, 4).toString("ascii")).toBe("PNG");
  });

  it("draws an empty map with its legend and no marks", () => {
    const map = renderMap([], { kind: "country", code: "PL" }, { title: "Python user groups in Poland" });
    expect(map.stats).toMatchObject({ groups: 0, onMap: 0, marks: 0, labels: 0 });
    expect(map.svg).toContain("Python user groups in Poland");
    expect(decode(map.png).width).toBe(1200);
  });

  it("draws a single group as one dot of its status colour, labelled with its name", () => {
    const map = renderMap(
      [{ name: "PySilesia", ...katowice, status: "dead", city: "Katowice" }],
      {
        kind: "country",
        code: "PL",
      },
      { title: "Poland" },
    );
    expect(map.stats).toMatchObject({ onMap: 1, marks: 1, clusters: 0, labels: 1 });
    expect(map.labels[0]?.text).toBe("PySilesia");
    const [dot] = map.marks;
    expect(pixel(decode(map.png), dot!.x, dot!.y)).toBe(STATUS_COLOR.dead);
  });

  it("puts every group placed at a city inside its country's shape", () => {
    const shapes = atlas("50m");
    const groups = biggestCityPerCountry().filter((g) => shapes.byCode.has(g.countryCode!));
    // The atlas lacks only a few microstates and tiny territories; everything else must be there.
    const known = new Set(allCountries().map((c) => c.code));
    const missing = [...known].filter((c) => !shapes.byCode.has(c));
    expect(missing.length).toBeLessThan(25);
    expect(groups.length).toBeGreaterThan(200);

    const map = renderMap(groups, { kind: "world" }, { title: "t", width: 6000, height: 3200 });
    // Stated tolerance: coarse coastlines miss some harbour cities by a few km, so a dot within 15 km of
    // its country's shape counts; island microstates (shape under ~1,200 km²: Monaco, Marshall Islands,
    // Kiribati…) are drawn as specks, so there the dot must fall within 3° of the country's outline box (Pitcairn is drawn as Henderson Island only);
    // Natural Earth draws Western Sahara's north as Morocco (a disputed border), so EH may lie in MA.
    const toleranceRad = 15 / 6371;
    const microstate = 3e-5; // steradians
    const disputed: Record<string, string> = { EH: "MA" };
    const outside: string[] = [];
    for (const mark of map.marks) {
      const at = map.invert(mark.x, mark.y);
      expect(at).not.toBeNull();
      if (mark.items.length !== 1) continue;
      const g = mark.items[0]!;
      if (geoDistance(at!, [g.lon!, g.lat!]) > 1e-4) outside.push(`${g.name}: drawn away from its place`);
      const shape = shapes.byCode.get(g.countryCode!)!;
      const near = (f: CountryFeature) =>
        geoContains(f, at!) ||
        [0, 45, 90, 135, 180, 225, 270, 315].some((deg) => {
          const a = (deg * Math.PI) / 180;
          const dLat = (toleranceRad * Math.cos(a) * 180) / Math.PI;
          const dLon = (toleranceRad * Math.sin(a) * 180) / Math.PI / Math.cos((at![1] * Math.PI) / 180);
          return geoContains(f, [at![0] + dLon, at![1] + dLat]);
        });
      const [[w, s], [e, n]] = shape.bounds;
      const inLon = w <= e ? at![0] >= w - 3 && at![0] <= e + 3 : at![0] >= w - 3 || at![0] <= e + 3;
      const inBox = inLon && at![1] >= s - 3 && at![1] <= n + 3;
      const alt = disputed[g.countryCode!];
      const ok =
        near(shape.feature()) ||
        (geoArea(shape.feature()) < microstate && inBox) ||
        (alt !== undefined && near(shapes.byCode.get(alt)!.feature()));
      if (!ok) outside.push(`${g.name} (${g.countryCode})`);
    }
    expect(outside).toEqual([]);
    expect(map.stats.onMap).toBe(groups.length);
  });

  it("keeps 1,000 groups in one city readable: one cluster, one label", () => {
    const groups: MapGroup[] = Array.from({ length: 1000 }, (_, i) => ({
      name: `Group ${i}`,
      lat: katowice.lat + ((i % 7) - 3) * 0.001,
      lon: katowice.lon + ((i % 5) - 2) * 0.001,
      status: (["alive", "dormant", "dead", "unknown"] as const)[i % 4]!,
      city: "Katowice",
    }));
    const map = renderMap(groups, { kind: "country", code: "PL" }, { title: "Poland" });
    expect(map.stats.onMap).toBe(1000);
    expect(map.stats.marks).toBe(1);
    expect(map.labels.map((l) => l.text)).toEqual(["Katowice (1000)"]);
    expect(map.svg).toContain('aria-label="1000"');
  });

  it("never lets labels overlap, and labels alive groups before the others", () => {
    const polish = cities.filter((c) => c.country === "PL" && c.population > 20_000);
    const groups: MapGroup[] = polish.map((c, i) => ({
      name: `Py${c.name} ${i}`,
      city: c.name,
      countryCode: "PL",
      lon: c.loc.coordinates[0],
      lat: c.loc.coordinates[1],
      status: i % 3 === 0 ? "alive" : "dead",
    }));
    const map = renderMap(groups, { kind: "country", code: "PL" }, { title: "Poland", maxLabels: 40 });
    expect(map.labels.length).toBeGreaterThan(10);
    expect(map.labels.length).toBeLessThanOrEqual(40);
    for (const [i, a] of map.labels.entries()) {
      for (const b of map.labels.slice(i + 1)) {
        const overlap =
          a.box.x0 < b.box.x1 && b.box.x0 < a.box.x1 && a.box.y0 < b.box.y1 && b.box.y0 < a.box.y1;
        expect(overlap, `${a.text} / ${b.text}`).toBe(false);
      }
    }
    // A label names an alive group, or a city whose cluster holds one.
    const hasAlive = new Map<string, boolean>();
    for (const m of map.marks) {
      const alive = m.items.some((g) => g.status === "alive");
      if (m.items.length === 1) hasAlive.set(m.items[0]!.name, alive);
      else hasAlive.set(`${m.items[0]!.city} (${m.items.length})`, alive);
    }
    const labelled = map.labels.map((l) => hasAlive.get(l.text));
    expect(labelled).not.toContain(undefined);
    // Once a label without an alive group is placed, no alive one comes after it.
    const firstOther = labelled.indexOf(false);
    expect(firstOther === -1 ? [] : labelled.slice(firstOther).filter(Boolean)).toEqual([]);
    expect(labelled[0]).toBe(true);
  });

  it("draws the radius around a place and marks the place", () => {
    const map = renderMap(
      [{ name: "PySilesia", ...katowice, status: "alive", city: "Katowice" }],
      { kind: "near", ...katowice, radiusKm: 100, placeName: "Katowice" },
      { title: "Near Katowice" },
    );
    expect(map.svg).toContain('stroke-dasharray="8 5"');
    expect(map.labels.map((l) => l.text)).toContain("Katowice");
    expect(map.svg).toMatch(/>(50|100) km</);
    expect(map.stats.onMap).toBe(1);
  });

  it("renders the same picture off the event loop (renderMapAsync)", async () => {
    const groups: MapGroup[] = [
      { name: "PySilesia", ...katowice, status: "alive", city: "Katowice" },
      { name: "PyWaw", lat: 52.23, lon: 21.01, status: "dead", city: "Warsaw" },
    ];
    const view = { kind: "country", code: "PL" } as const;
    const sync = renderMap(groups, view, { title: "Poland" });
    const later = await renderMapAsync(groups, view, { title: "Poland" });
    expect(later.svg).toBe(sync.svg);
    expect(later.png.equals(sync.png)).toBe(true);
    expect(decode(later.png).width).toBe(1200);
  });

  it("parses the country shapes once per process", () => {
    expect(atlas("50m")).toBe(atlas("50m"));
  });
});
