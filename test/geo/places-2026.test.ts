import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/connect.js";
import { distanceKm } from "../../src/geo/distance.js";
import { type CityLookup, locateGroup } from "../../src/geo/geocode.js";
import { readListing } from "../../src/sources/read-listing.js";
import { builtGazetteer } from "./gazetteer-db.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/wiki-2026/${name}`, import.meta.url), "utf8");

let gazetteer: { db: Db; lookup: CityLookup; close: () => Promise<void> };
beforeAll(async () => {
  gazetteer = await builtGazetteer();
}, 120_000);
afterAll(async () => gazetteer.close());

const where = (over: Partial<Parameters<typeof locateGroup>[1]>) => ({
  city: null,
  region: null,
  country: null,
  continent: "Europe",
  ...over,
});

describe("places from the 2026 page's prose", () => {
  it("places at least 97% of the groups whose prose or heading names a city or region within 25 km", async () => {
    const expected: { name: string; named: string; lat: number; lon: number }[] = JSON.parse(
      fixture("expected-places.json"),
    ).places;
    const groups = readListing({ body: fixture("LocalUserGroups.md") })?.groups ?? [];
    const misses: string[] = [];
    for (const e of expected) {
      const g = groups.find((x) => x.name === e.name);
      const fix = g ? await locateGroup(gazetteer.lookup, g) : null;
      const km = fix?.lat != null && fix.lon != null ? distanceKm(fix.lat, fix.lon, e.lat, e.lon) : Infinity;
      if (km > 25)
        misses.push(`${e.name} (${e.named}): ${Number.isFinite(km) ? `${Math.round(km)} km` : "not placed"}`);
    }
    const share = 1 - misses.length / expected.length;
    expect(expected.length).toBeGreaterThan(250);
    expect(share, misses.join("\n")).toBeGreaterThanOrEqual(0.97);
  });

  it("reads Cracow's possessive and exonym as Kraków, and Silesia as its seat, shown as a region", async () => {
    const groups = readListing({ body: fixture("LocalUserGroups.md") })?.groups ?? [];
    const pykonik = await locateGroup(gazetteer.lookup, groups.find((g) => g.name === "Pykonik")!);
    expect([pykonik.level, pykonik.matchedName]).toEqual(["city", "Kraków"]);
    const silesia = await locateGroup(gazetteer.lookup, groups.find((g) => g.name === "PySilesia")!);
    expect([silesia.level, silesia.matchedName, silesia.placeLabel]).toEqual([
      "region",
      "Katowice",
      "Silesia (Katowice)",
    ]);
    expect(silesia.confidence).toBeLessThan(pykonik.confidence);
  });

  it("resolves regions the page never names, from the subdivision data", async () => {
    const cases: [string, string, string, string][] = [
      ["Austria", "Python Tirol", "Tirol", "Innsbruck"],
      ["Germany", "PyBavaria", "Python community in Bavaria", "Munich"],
      ["Spain", "Python Catalunya", "Python user group in Catalonia area", "Barcelona"],
    ];
    for (const [country, name, description, seat] of cases) {
      const g = readListing({
        body: `## Europe\n\n### ${country}\n\n- [${name}](https://x.example/) - ${description}\n`,
      })?.groups[0];
      if (!g) throw new Error("no group read");
      const fix = await locateGroup(gazetteer.lookup, g);
      expect([fix.level, fix.matchedName], name).toEqual(["region", seat]);
      expect(fix.placeLabel).toMatch(new RegExp(`\\(${seat}\\)$`));
    }
  });

  it("finds a city named only in the group's name", async () => {
    for (const [name, city] of [
      ["PyCologne", "Köln"],
      ["MontrealPython", "Montréal"],
      ["Python Grenoble", "Grenoble"],
    ] as const) {
      const hints = readListing({ body: `## Europe\n\n### X\n\n- [${name}](https://x.example/)\n` })
        ?.groups[0]?.placeHints;
      const country = city === "Montréal" ? "Canada" : city === "Köln" ? "Germany" : "France";
      const fix = await locateGroup(gazetteer.lookup, where({ country, placeHints: hints }));
      expect([fix.level, fix.matchedName], name).toEqual(["city", city]);
    }
  });

  it("falls back to the capital at low confidence, shown as the country, never as a city", async () => {
    const fix = await locateGroup(gazetteer.lookup, where({ country: "Latvia", placeHints: ["Latvia"] }));
    expect(fix.level).toBe("country");
    expect(fix.confidence).toBeLessThanOrEqual(0.2);
    expect(fix.placeLabel).toBe("Latvia");
  });

  it("does not take a region's namesake hamlet for the region", async () => {
    const fix = await locateGroup(
      gazetteer.lookup,
      where({ country: "United States", region: "Iowa", continent: null, placeHints: ["Iowa"] }),
    );
    expect(fix.level).toBe("region");
    expect(fix.matchedName).toBe("Des Moines");
  });
});
