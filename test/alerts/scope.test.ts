import { describe, expect, it } from "vitest";
import { type AlertScope, describeScope, inScope } from "../../src/alerts/scope.js";

const scope = (p: Partial<AlertScope>): AlertScope => ({
  scope_kind: "all",
  scope_value: null,
  scope_lat: null,
  scope_lon: null,
  scope_radius_km: null,
  ...p,
});

const katowice = { continent: "Europe", country_code: "PL", lat: 50.2649, lon: 19.0238 };
const krakow = { continent: "Europe", country_code: "PL", lat: 50.0647, lon: 19.945 }; // ~70 km from Katowice
const warsaw = { continent: "Europe", country_code: "PL", lat: 52.2297, lon: 21.0122 }; // ~260 km
const lagos = { continent: "Africa", country_code: "NG", lat: 6.5244, lon: 3.3792 };
const nowhere = { continent: null, country_code: null, lat: null, lon: null };

describe("inScope", () => {
  it("'all' covers every group, even one with no known place", () => {
    expect(inScope(scope({}), lagos)).toBe(true);
    expect(inScope(scope({}), nowhere)).toBe(true);
  });

  it("continent compares without regard to case or spaces", () => {
    const europe = scope({ scope_kind: "continent", scope_value: "europe " });
    expect(inScope(europe, katowice)).toBe(true);
    expect(inScope(europe, lagos)).toBe(false);
    expect(inScope(europe, nowhere)).toBe(false);
    expect(
      inScope(scope({ scope_kind: "continent", scope_value: "North America" }), {
        ...lagos,
        continent: "north america",
      }),
    ).toBe(true);
  });

  it("country compares the ISO-2 code", () => {
    const pl = scope({ scope_kind: "country", scope_value: "PL" });
    expect(inScope(pl, warsaw)).toBe(true);
    expect(inScope(pl, lagos)).toBe(false);
    expect(inScope(scope({ scope_kind: "country", scope_value: "pl" }), warsaw)).toBe(true);
    expect(inScope(pl, nowhere)).toBe(false);
  });

  it("near covers groups within the radius and not those outside", () => {
    const near = scope({
      scope_kind: "near",
      scope_value: "Katowice",
      scope_lat: 50.2649,
      scope_lon: 19.0238,
      scope_radius_km: 100,
    });
    expect(inScope(near, katowice)).toBe(true);
    expect(inScope(near, krakow)).toBe(true);
    expect(inScope(near, warsaw)).toBe(false);
    expect(inScope(near, nowhere)).toBe(false);
    expect(inScope({ ...near, scope_radius_km: 60 }, krakow)).toBe(false);
    expect(inScope({ ...near, scope_radius_km: 300 }, warsaw)).toBe(true);
  });

  it("a near scope missing its centre covers nothing", () => {
    expect(inScope(scope({ scope_kind: "near", scope_radius_km: 100 }), katowice)).toBe(false);
  });
});

describe("describeScope", () => {
  it("says it in words", () => {
    expect(describeScope(scope({}))).toBe("everything");
    expect(describeScope(scope({ scope_kind: "continent", scope_value: "Europe" }))).toBe("Europe");
    expect(describeScope(scope({ scope_kind: "country", scope_value: "PL" }))).toBe("Poland (PL)");
    expect(describeScope(scope({ scope_kind: "country", scope_value: "de" }))).toBe("Germany (DE)");
    expect(
      describeScope(
        scope({
          scope_kind: "near",
          scope_value: "Katowice",
          scope_lat: 50.26,
          scope_lon: 19.02,
          scope_radius_km: 100,
        }),
      ),
    ).toBe("within 100 km of Katowice");
  });

  it("copes with an unknown country code", () => {
    expect(describeScope(scope({ scope_kind: "country", scope_value: "QQ" }))).toBe("QQ");
  });
});
