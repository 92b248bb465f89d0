import { describe, expect, it } from "vitest";
import { placeKey, placePrefixKey } from "../../src/geo/normalize.js";

describe("placeKey", () => {
  it.each([
    ["Kraków", "krakow"],
    ["KRAKÓW", "krakow"],
    ["Łódź", "lodz"],
    ["Tromsø", "tromso"],
    ["Straße", "strasse"],
    ["Ærøskøbing", "aeroskobing"],
    ["Đà Nẵng", "da nang"],
    ["Diyarbakır", "diyarbakir"],
    ["Reykjavík", "reykjavik"],
    ["São José dos Campos", "sao jose dos campos"],
    ["Besançon", "besancon"],
    ["Zürich", "zurich"],
    ["Þórshöfn", "thorshofn"],
    ["Xi’an", "xi an"],
    ["O'Fallon", "o fallon"],
    ["Stoke-on-Trent", "stoke on trent"],
    ["Frankfurt (Oder)", "frankfurt oder"],
    ["  New   York!! ", "new york"],
    ["Washington, D.C.", "washington d c"],
    ["", ""],
    ["!!! ---", ""],
  ])("%s → %s", (input, key) => {
    expect(placeKey(input)).toBe(key);
  });

  it("reads St., Saint and Sankt alike", () => {
    expect(placeKey("St. Louis")).toBe("saint louis");
    expect(placeKey("Saint Louis")).toBe("saint louis");
    expect(placeKey("Saint-Louis")).toBe("saint louis");
    expect(placeKey("St Louis")).toBe("saint louis");
    expect(placeKey("Sankt Gallen")).toBe(placeKey("St. Gallen"));
    expect(placeKey("Ste. Genevieve")).toBe("sainte genevieve");
    expect(placeKey("Mt. Vernon")).toBe(placeKey("Mount Vernon"));
    expect(placeKey("Ft. Worth")).toBe(placeKey("Fort Worth"));
  });

  it("keeps letters of other scripts", () => {
    expect(placeKey("Москва")).toBe("москва");
  });

  it("is idempotent", () => {
    for (const s of ["St. Louis", "Kraków", "Đà Nẵng", "Frankfurt (Oder)"]) {
      expect(placeKey(placeKey(s))).toBe(placeKey(s));
    }
  });
});

describe("placePrefixKey", () => {
  it("leaves a last word that may be unfinished as typed", () => {
    expect(placePrefixKey("St")).toBe("st");
    expect(placePrefixKey("Kat")).toBe("kat");
    expect(placePrefixKey("São P")).toBe("sao p");
  });

  it("expands words the user has finished", () => {
    expect(placePrefixKey("St.")).toBe("saint");
    expect(placePrefixKey("St Lo")).toBe("saint lo");
    expect(placePrefixKey("")).toBe("");
  });
});
