import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countryInfo } from "../../src/geo/countries.js";
import { distanceKm } from "../../src/geo/distance.js";
import {
  type CityLookup,
  editDistance,
  type GroupWhere,
  locateGroup,
  type Place,
  type PlaceQueryResult,
  resolvePlace,
  suggestPlaces,
} from "../../src/geo/geocode.js";
import { builtGazetteer } from "./gazetteer-db.js";

let lookup: CityLookup;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ lookup, close } = await builtGazetteer());
});
afterAll(async () => {
  await close();
});

function suggestions(r: PlaceQueryResult): Place[] {
  return r.kind === "found" ? [] : r.suggestions;
}

function found(r: PlaceQueryResult): Place {
  if (r.kind !== "found")
    throw new Error(`expected found, got ${r.kind}: ${r.suggestions.map((s) => s.label)}`);
  return r.place;
}

describe("resolvePlace", () => {
  it.each([
    ["Katowice", "Katowice", "PL", null],
    ["krakow", "Kraków", "PL", null],
    ["Kraków", "Kraków", "PL", null],
    ["KRAKÓW", "Kraków", "PL", null],
    ["Cracow", "Kraków", "PL", null],
    ["sao paulo", "São Paulo", "BR", null],
    ["Portland, Maine", "Portland", "US", "Maine"],
    ["Portland, ME", "Portland", "US", "Maine"],
    ["Portland, OR", "Portland", "US", "Oregon"],
    ["Springfield, IL", "Springfield", "US", "Illinois"],
    ["Springfield, Missouri", "Springfield", "US", "Missouri"],
    ["Paris, France", "Paris", "FR", null],
    ["Paris, TX", "Paris", "US", "Texas"],
    ["Cambridge, UK", "Cambridge", "GB", "England"],
    ["Cambridge, MA", "Cambridge", "US", "Massachusetts"],
    ["London, Ontario", "London", "CA", "Ontario"],
    ["Perth, Scotland", "Perth", "GB", "Scotland"],
    ["Perth, Australia", "Perth", "AU", "Western Australia"],
    ["paris france", "Paris", "FR", null],
    ["Portland Maine", "Portland", "US", "Maine"],
    ["Bangalore", "Bengaluru", "IN", null],
    ["München", "Munich", "DE", null],
    ["Cologne", "Köln", "DE", null],
    ["Zurich", "Zürich", "CH", null],
    ["Geneva", "Genève", "CH", null],
    ["NYC", "New York City", "US", "New York"],
    ["Bay Area", "San Francisco", "US", "California"],
    ["Québec City", "Québec", "CA", "Quebec"],
    ["Montreal", "Montréal", "CA", "Quebec"],
    ["St. Louis, MO", "St. Louis", "US", "Missouri"],
    ["Saint Louis, Missouri", "St. Louis", "US", "Missouri"],
  ])("%s → %s, %s", async (query, name, country, region) => {
    const place = found(await resolvePlace(lookup, query));
    expect(place.name).toBe(name);
    expect(place.country).toBe(country);
    expect(place.region).toBe(region);
  });

  it("gives the clearly bigger Paris, with the others as alternatives", async () => {
    const r = await resolvePlace(lookup, "Paris");
    const place = found(r);
    expect(place.country).toBe("FR");
    expect(place.countryName).toBe("France");
    expect(place.label).toBe("Paris, FR");
    expect(r.kind === "found" && r.alternatives.map((p) => p.label)).toContain("Paris, Texas, US");
  });

  it("gives Portland, Oregon for plain Portland, with Portland, Maine among the alternatives", async () => {
    const r = await resolvePlace(lookup, "Portland");
    const place = found(r);
    expect(place.label).toBe("Portland, Oregon, US");
    expect(place.population).toBeGreaterThan(500_000);
    if (r.kind !== "found") return;
    expect(r.alternatives.map((p) => p.label)).toContain("Portland, Maine, US");
    const pops = r.alternatives.map((p) => p.population);
    expect(pops).toEqual([...pops].sort((a, b) => b - a));
  });

  it("calls plain Springfield ambiguous, biggest first", async () => {
    const r = await resolvePlace(lookup, "Springfield");
    expect(r.kind).toBe("ambiguous");
    const places = suggestions(r);
    expect(places.length).toBeGreaterThanOrEqual(3);
    expect(places.every((p) => p.name === "Springfield")).toBe(true);
    const labels = places.map((p) => p.label);
    expect(labels).toEqual(
      expect.arrayContaining(["Springfield, Missouri, US", "Springfield, Illinois, US"]),
    );
    const pops = places.map((p) => p.population);
    expect(pops).toEqual([...pops].sort((a, b) => b - a));
  });

  it("suggests the right spelling for typos", async () => {
    for (const [typo, name] of [
      ["Katowcie", "Katowice"],
      ["Krakw", "Kraków"],
      ["Katow", "Katowice"],
      ["Heidleberg", "Heidelberg"],
      ["Amsterdm", "Amsterdam"],
      ["Aprsi", "Paris"],
    ]) {
      const r = await resolvePlace(lookup, typo!);
      expect(r.kind, typo).toBe("not_found");
      expect(suggestions(r)[0]?.name, typo).toBe(name);
    }
  });

  it("suggests the places of that name when the qualifier rules them all out", async () => {
    const r = await resolvePlace(lookup, "Paris, Germany");
    expect(r.kind).toBe("not_found");
    expect(suggestions(r)[0]?.label).toBe("Paris, FR");
  });

  it("answers empty, garbage and overlong input with nothing, without throwing", async () => {
    for (const q of ["", "   ", "!!!", ",,,", "x".repeat(101), `Paris${" ".repeat(200)}x`, "qqqqzzzzxxxx"]) {
      const r = await resolvePlace(lookup, q);
      expect(r, JSON.stringify(q)).toEqual({ kind: "not_found", suggestions: [] });
    }
    const r = await resolvePlace(lookup, null as unknown as string);
    expect(r).toEqual({ kind: "not_found", suggestions: [] });
  });

  it("puts Katowice about 70 km from Kraków", async () => {
    const a = found(await resolvePlace(lookup, "Katowice"));
    const b = found(await resolvePlace(lookup, "Kraków"));
    const km = distanceKm(a.lat, a.lon, b.lat, b.lon);
    expect(km).toBeGreaterThan(66);
    expect(km).toBeLessThan(75);
  });
});

describe("suggestPlaces", () => {
  it("lists places by prefix, biggest first, with short distinct labels", async () => {
    const places = await suggestPlaces(lookup, "kat");
    expect(places).toHaveLength(25);
    expect(places.map((p) => p.name)).toContain("Katowice");
    const pops = places.map((p) => p.population);
    expect(pops).toEqual([...pops].sort((a, b) => b - a));
    expect(new Set(places.map((p) => p.label)).size).toBe(places.length);
    for (const p of places) expect(p.label.length).toBeLessThanOrEqual(100);
  });

  it("offers both Stuttgart and Saint ... for St", async () => {
    const names = (await suggestPlaces(lookup, "St", 25)).map((p) => p.name);
    expect(names).toContain("Stuttgart");
    expect(names).toContain("Saint Petersburg");
  });

  it("narrows by what follows the comma", async () => {
    const places = await suggestPlaces(lookup, "Portland, Ma", 10);
    expect(places.map((p) => p.label)).toEqual(["Portland, Maine, US"]);
    const oregon = await suggestPlaces(lookup, "Portland, OR", 10);
    expect(oregon[0]?.label).toBe("Portland, Oregon, US");
  });

  it("respects the limit and ignores empty input", async () => {
    expect(await suggestPlaces(lookup, "s", 5)).toHaveLength(5);
    expect(await suggestPlaces(lookup, "")).toEqual([]);
    expect(await suggestPlaces(lookup, "???")).toEqual([]);
    expect(await suggestPlaces(lookup, "x".repeat(101))).toEqual([]);
  });

  it("gives labels that resolve back to the same place", async () => {
    for (const prefix of ["port", "spring", "kat", "paris", "london", "cambridge", "st. lo"]) {
      for (const p of await suggestPlaces(lookup, prefix, 25)) {
        const r = await resolvePlace(lookup, p.label);
        const ids = r.kind === "found" ? [r.place.id] : r.suggestions.map((s) => s.id);
        expect(ids, p.label).toContain(p.id);
      }
    }
  });
});

// Where the fixture's groups really are (independent of GeoNames), for locateGroup.
const TRUE_PLACES: Record<string, [number, number]> = {
  "Nigeria|Lagos": [6.455, 3.394],
  "South Africa|Cape Town": [-33.925, 18.424],
  "South Africa|Johannesburg": [-26.204, 28.047],
  "Uganda|": [0.347, 32.583],
  "India|Pune": [18.52, 73.857],
  "India|Bangalore": [12.972, 77.594],
  "India|Chennai": [13.083, 80.27],
  "Japan|Kyoto": [35.012, 135.768],
  "Taiwan|Taipei": [25.033, 121.565],
  "Taiwan|Taichung": [24.148, 120.674],
  "Vietnam|Hanoi": [21.028, 105.834],
  "Finland|Jyväskylä": [62.243, 25.747],
  "France|Besançon": [47.238, 6.024],
  "France|Paris": [48.857, 2.352],
  "Germany|Berlin": [52.52, 13.405],
  "Germany|Heidelberg": [49.399, 8.672],
  "Germany|Köln": [50.938, 6.96],
  "Germany|Kassel": [51.313, 9.48],
  "Germany|Rostock": [54.092, 12.099],
  "Norway|Tromsø": [69.649, 18.956],
  "Poland|Poznań": [52.406, 16.925],
  "Poland|Kraków": [50.065, 19.945],
  "Poland|Katowice": [50.259, 19.022],
  "Switzerland|Neuchâtel": [46.99, 6.929],
  "Switzerland|Zürich": [47.377, 8.541],
  "United Kingdom|Cambridge": [52.205, 0.122],
  "United Kingdom|Bath": [51.381, -2.359],
  "United Kingdom|Leeds": [53.801, -1.549],
  "Canada|London": [42.984, -81.245],
  "Canada|Toronto": [43.653, -79.383],
  "Canada|Québec": [46.813, -71.208],
  "Canada|Montréal": [45.502, -73.567],
  "United States|Portland|Maine": [43.659, -70.257],
  "United States|Springfield": [37.209, -93.292],
  "United States|St. Louis": [38.627, -90.199],
  "United States|Portland|Oregon": [45.515, -122.679],
  "United States|Paris": [33.661, -95.556],
  "United States|Austin": [30.267, -97.743],
  "United States|Richmond": [37.541, -77.436],
  "Australia|Sydney": [-33.869, 151.209],
  "Australia|Perth": [-31.951, 115.861],
  "New Zealand|Auckland": [-36.848, 174.763],
  "Brazil|São José dos Campos": [-23.223, -45.9],
  "Brazil|São Paulo": [-23.551, -46.633],
  "Colombia|Medellín": [6.244, -75.581],
  "Peru|": [-12.046, -77.043],
};

function truePlace(g: GroupWhere): [number, number] | undefined {
  return (
    TRUE_PLACES[`${g.country}|${g.city ?? ""}|${g.region}`] ?? TRUE_PLACES[`${g.country}|${g.city ?? ""}`]
  );
}

describe("locateGroup", () => {
  const groups = JSON.parse(
    readFileSync(new URL("../fixtures/wiki/expected-groups.json", import.meta.url), "utf8"),
  ) as (GroupWhere & { name: string })[];

  it("places the fixture's groups within 25 km of where they are", async () => {
    const misses: string[] = [];
    for (const g of groups) {
      const truth = truePlace(g);
      expect(truth, `no true place for ${g.name}`).toBeDefined();
      const fix = await locateGroup(lookup, g);
      const km =
        fix.lat === null || fix.lon === null
          ? Number.POSITIVE_INFINITY
          : distanceKm(fix.lat, fix.lon, ...truth!);
      if (km > 25) misses.push(`${g.name} (${g.city}, ${g.region}, ${g.country}): ${km.toFixed(0)} km`);
    }
    expect(groups.length).toBe(46);
    expect(misses.length / groups.length, misses.join("\n")).toBeLessThanOrEqual(0.05);
  });

  it("tells same-named places apart by the headings, with full confidence", async () => {
    const cases: [GroupWhere, string][] = [
      [
        { city: "Portland", region: "Maine", country: "United States", continent: "North America" },
        "Portland ME",
      ],
      [
        { city: "Portland", region: "Oregon", country: "United States", continent: "North America" },
        "Portland OR",
      ],
      [{ city: "Paris", region: "Texas", country: "United States", continent: "North America" }, "Paris TX"],
      [{ city: "Paris", region: null, country: "France", continent: "Europe" }, "Paris FR"],
      [{ city: "London", region: "Ontario", country: "Canada", continent: "North America" }, "London ON"],
      [{ city: "Perth", region: null, country: "Australia", continent: "Oceania" }, "Perth AU"],
      [{ city: "Cambridge", region: null, country: "United Kingdom", continent: "Europe" }, "Cambridge GB"],
      [
        { city: "St. Louis", region: "Missouri", country: "United States", continent: "North America" },
        "St. Louis",
      ],
    ];
    const truth: Record<string, [number, number]> = {
      "Portland ME": [43.659, -70.257],
      "Portland OR": [45.515, -122.679],
      "Paris TX": [33.661, -95.556],
      "Paris FR": [48.857, 2.352],
      "London ON": [42.984, -81.245],
      "Perth AU": [-31.951, 115.861],
      "Cambridge GB": [52.205, 0.122],
      "St. Louis": [38.627, -90.199],
    };
    for (const [g, which] of cases) {
      const fix = await locateGroup(lookup, g);
      expect(fix.level, which).toBe("city");
      expect(fix.confidence, which).toBe(1);
      expect(distanceKm(fix.lat!, fix.lon!, ...truth[which]!), which).toBeLessThan(25);
    }
  });

  it("uses the alias table and the nation a UK heading names", async () => {
    const bangalore = await locateGroup(lookup, {
      city: "Bangalore",
      region: null,
      country: "India",
      continent: "Asia",
    });
    expect(bangalore.matchedName).toBe("Bengaluru");
    expect(bangalore.countryCode).toBe("IN");
    const perth = await locateGroup(lookup, {
      city: "Perth",
      region: null,
      country: "Scotland",
      continent: "Europe",
    });
    expect(perth.countryCode).toBe("GB");
    expect(distanceKm(perth.lat!, perth.lon!, 56.396, -3.437)).toBeLessThan(25);
  });

  it("reads 'City, ST' and 'A / B' city texts", async () => {
    const me = await locateGroup(lookup, {
      city: "Portland, ME",
      region: null,
      country: "USA",
      continent: null,
    });
    expect(distanceKm(me.lat!, me.lon!, 43.659, -70.257)).toBeLessThan(25);
    const triangle = await locateGroup(lookup, {
      city: "Raleigh / Durham",
      region: "North Carolina",
      country: "United States",
      continent: null,
    });
    expect(triangle.level).toBe("city");
    expect(triangle.matchedName).toBe("Raleigh");
    expect(triangle.confidence).toBeLessThan(1);
    const halle = await locateGroup(lookup, {
      city: "Halle",
      region: null,
      country: "Germany",
      continent: null,
    });
    expect(halle.matchedName).toBe("Halle (Saale)");
  });

  it("falls back to the capital, with low confidence, when the city is missing or unknown", async () => {
    const uganda = await locateGroup(lookup, {
      city: null,
      region: null,
      country: "Uganda",
      continent: "Africa",
    });
    expect(uganda).toMatchObject({ level: "country", confidence: 0.2, countryCode: "UG" });
    const unknownCity = await locateGroup(lookup, {
      city: "Qwxzptlvbn",
      region: null,
      country: "Poland",
      continent: "Europe",
    });
    const warsaw = countryInfo("PL")!;
    expect(unknownCity).toMatchObject({ level: "country", confidence: 0.2, countryCode: "PL" });
    expect(distanceKm(unknownCity.lat!, unknownCity.lon!, warsaw.lat, warsaw.lon)).toBeLessThan(1);
  });

  it("uses the region when only the region is known", async () => {
    const texas = await locateGroup(lookup, {
      city: null,
      region: "Texas",
      country: "United States",
      continent: null,
    });
    expect(texas.level).toBe("region");
    expect(texas.confidence).toBeGreaterThan(0.2);
    expect(texas.confidence).toBeLessThan(1);
    expect(texas.matchedName).toBe("Texas");
  });

  it("finds a city without a country heading, with less confidence", async () => {
    const fix = await locateGroup(lookup, {
      city: "Katowice",
      region: null,
      country: null,
      continent: "Europe",
    });
    expect(fix).toMatchObject({ level: "city", countryCode: "PL", matchedName: "Katowice" });
    expect(fix.confidence).toBeLessThan(1);
  });

  it("gives nothing when there is nothing to go on", async () => {
    const none = { lat: null, lon: null, confidence: 0, level: "none", countryCode: null, matchedName: null };
    expect(
      await locateGroup(lookup, { city: null, region: null, country: null, continent: "Europe" }),
    ).toEqual(none);
    expect(
      await locateGroup(lookup, { city: null, region: null, country: "Narnia", continent: null }),
    ).toEqual(none);
  });
});

describe("editDistance", () => {
  it("counts edits, with an adjacent swap as one", () => {
    expect(editDistance("katowice", "katowice")).toBe(0);
    expect(editDistance("katowcie", "katowice")).toBe(1);
    expect(editDistance("krakw", "krakow")).toBe(1);
    expect(editDistance("paris", "berlin")).toBe(4);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("abcdef", "uvwxyz", 2)).toBe(3);
  });
});
