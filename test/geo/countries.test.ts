import { describe, expect, it } from "vitest";
import {
  allCountries,
  continentOf,
  countryCode,
  countryInfo,
  countryName,
  regionCode,
  regionName,
  regionsNamed,
} from "../../src/geo/countries.js";
import { distanceKm } from "../../src/geo/distance.js";

describe("countryCode", () => {
  it.each([
    ["United States", "US"],
    ["USA", "US"],
    ["U.S.A.", "US"],
    ["United States of America", "US"],
    ["United Kingdom", "GB"],
    ["UK", "GB"],
    ["England", "GB"],
    ["Scotland", "GB"],
    ["Wales", "GB"],
    ["Northern Ireland", "GB"],
    ["South Korea", "KR"],
    ["North Korea", "KP"],
    ["Czech Republic", "CZ"],
    ["Czechia", "CZ"],
    ["Russia", "RU"],
    ["Taiwan", "TW"],
    ["Vietnam", "VN"],
    ["Viet Nam", "VN"],
    ["Ivory Coast", "CI"],
    ["Côte d'Ivoire", "CI"],
    ["Côte d’Ivoire", "CI"],
    ["The Netherlands", "NL"],
    ["Netherlands", "NL"],
    ["Holland", "NL"],
    ["Germany", "DE"],
    ["Deutschland", "DE"],
    ["Poland", "PL"],
    ["Bosnia and Herzegovina", "BA"],
    ["Bosnia & Herzegovina", "BA"],
    ["Trinidad and Tobago", "TT"],
    ["St. Lucia", "LC"],
    ["Saint Lucia", "LC"],
    ["Democratic Republic of the Congo", "CD"],
    ["Republic of the Congo", "CG"],
    ["Turkey", "TR"],
    ["Türkiye", "TR"],
    ["Myanmar", "MM"],
    ["Burma", "MM"],
    ["North Macedonia", "MK"],
    ["Hong Kong", "HK"],
    ["New Zealand", "NZ"],
    ["South Africa", "ZA"],
    ["Kosovo", "XK"],
    ["Palestine", "PS"],
    ["UAE", "AE"],
    ["  brazil  ", "BR"],
    ["pl", "PL"],
    ["De", "DE"],
    ["Georgia (country)", "GE"],
  ])("%s → %s", (name, code) => {
    expect(countryCode(name)).toBe(code);
  });

  it("returns null for what is not a country", () => {
    expect(countryCode("Atlantis")).toBeNull();
    expect(countryCode("ZZ")).toBeNull();
    expect(countryCode("")).toBeNull();
    expect(countryCode(null)).toBeNull();
    expect(countryCode("Europe")).toBeNull();
  });

  it("maps every country's own name back to its code", () => {
    const countries = allCountries();
    expect(countries.length).toBeGreaterThanOrEqual(245);
    for (const c of countries) {
      expect(countryCode(c.name), c.name).toBe(c.code);
      expect(countryName(c.code)).toBe(c.name);
    }
  });
});

describe("country data", () => {
  it("has capitals where they are", () => {
    const pl = countryInfo("PL")!;
    expect(pl.capital).toBe("Warsaw");
    expect(distanceKm(pl.lat, pl.lon, 52.2297, 21.0122)).toBeLessThan(10);
    const us = countryInfo("us")!;
    expect(distanceKm(us.lat, us.lon, 38.9072, -77.0369)).toBeLessThan(10);
    const ug = countryInfo("UG")!;
    expect(ug.capital).toBe("Kampala");
    expect(distanceKm(ug.lat, ug.lon, 0.3476, 32.5825)).toBeLessThan(10);
    const au = countryInfo("AU")!;
    expect(distanceKm(au.lat, au.lon, -35.2809, 149.13)).toBeLessThan(10);
    expect(countryInfo("ZZ")).toBeNull();
  });

  it("knows continents", () => {
    expect(continentOf("BR")).toBe("South America");
    expect(continentOf("MX")).toBe("North America");
    expect(continentOf("PL")).toBe("Europe");
    expect(continentOf("NG")).toBe("Africa");
    expect(continentOf("JP")).toBe("Asia");
    expect(continentOf("NZ")).toBe("Oceania");
    expect(continentOf("AQ")).toBe("Antarctica");
    expect(continentOf("ZZ")).toBeNull();
    for (const c of allCountries()) expect(c.continent, c.code).toBeTruthy();
  });

  it("names unknown codes by their code", () => {
    expect(countryName("ZZ")).toBe("ZZ");
  });
});

describe("regions", () => {
  it("maps US states by name and code", () => {
    expect(regionCode("US", "Maine")).toBe("ME");
    expect(regionCode("US", "ME")).toBe("ME");
    expect(regionCode("US", "Oregon")).toBe("OR");
    expect(regionCode("US", "or")).toBe("OR");
    expect(regionCode("US", "New York State")).toBe("NY");
    expect(regionCode("US", "Georgia (USA)")).toBe("GA");
    expect(regionCode("US", "Washington, D.C.")).toBe("DC");
    expect(regionName("US", "TX")).toBe("Texas");
  });

  it("maps Canadian provinces to GeoNames numbers", () => {
    expect(regionCode("CA", "Ontario")).toBe("08");
    expect(regionCode("CA", "ON")).toBe("08");
    expect(regionCode("CA", "Quebec")).toBe("10");
    expect(regionCode("CA", "Québec")).toBe("10");
    expect(regionCode("CA", "QC")).toBe("10");
    expect(regionCode("CA", "British Columbia")).toBe("02");
    expect(regionName("CA", "10")).toBe("Quebec");
  });

  it("maps UK nations and Australian states", () => {
    expect(regionCode("GB", "England")).toBe("ENG");
    expect(regionCode("GB", "Scotland")).toBe("SCT");
    expect(regionCode("GB", "Wales")).toBe("WLS");
    expect(regionCode("GB", "Northern Ireland")).toBe("NIR");
    expect(regionCode("AU", "Western Australia")).toBe("08");
    expect(regionCode("AU", "NSW")).toBe("02");
    expect(regionCode("AU", "Victoria")).toBe("07");
  });

  it("has no region table for other countries", () => {
    expect(regionCode("DE", "Bavaria")).toBeNull();
    expect(regionCode("US", "Bavaria")).toBeNull();
    expect(regionCode(null, "Maine")).toBeNull();
    expect(regionName("PL", "83")).toBeNull();
    expect(regionName("US", null)).toBeNull();
  });

  it("lists every region an abbreviation may mean", () => {
    const wa = regionsNamed("WA").map((r) => `${r.country}-${r.adminCode}`);
    expect(wa).toEqual(expect.arrayContaining(["US-WA", "AU-08"]));
    const nt = regionsNamed("NT").map((r) => `${r.country}-${r.adminCode}`);
    expect(nt).toEqual(expect.arrayContaining(["CA-13", "AU-03"]));
    expect(regionsNamed("Narnia")).toEqual([]);
  });
});
