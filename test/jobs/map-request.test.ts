import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { mapRequest } from "../../src/jobs/map-request.js";
import { renderMap } from "../../src/present/map/render.js";
import { tempDb } from "../helpers/db.js";
import { seedGroups } from "../helpers/seed.js";

describe("mapRequest", () => {
  it("maps a country, a continent and the world from the database, and refuses an unknown region", async () => {
    const { db } = await tempDb();
    await seedGroups(db, [
      { name: "PySilesia", url: "https://a.example/" },
      {
        name: "PyBerlin",
        url: "https://b.example/",
        city: "Berlin",
        country: "Germany",
        countryCode: "DE",
        lat: 52.52,
        lon: 13.4,
      },
    ]);
    const now = new Date("2026-11-01T00:00:00Z");
    const poland = await mapRequest(db, { region: "Poland", now });
    expect(poland).toMatchObject({
      kind: "map",
      view: { kind: "country", code: "PL" },
      title: "Python user groups in Poland",
    });
    expect(poland.kind === "map" && poland.subtitle).toBe("0 of 1 alive (0%) · 2026-11-01");
    const europe = await mapRequest(db, { region: "europe", now });
    expect(europe).toMatchObject({ view: { kind: "continent", continent: "Europe" } });
    const world = await mapRequest(db, { now });
    expect(world).toMatchObject({ view: { kind: "world" } });
    expect(await mapRequest(db, { region: "Atlantis", now })).toMatchObject({ kind: "not_understood" });

    if (poland.kind !== "map") throw new Error("unreachable");
    const map = renderMap(poland.groups, poland.view, poland);
    expect(map.stats).toMatchObject({ onMap: 2, offMap: 0 });
    expect(PNG.sync.read(map.png).width).toBe(1200);
  });

  it("maps a place from the groups near it only, and lists those within the radius", async () => {
    const { db } = await tempDb();
    await seedGroups(db, [
      { name: "PySilesia", url: "https://a.example/", lat: 50.26, lon: 19.02 },
      { name: "PyKrakow", url: "https://k.example/", city: "Kraków", lat: 50.06, lon: 19.94 },
      {
        name: "PyBerlin",
        url: "https://b.example/",
        city: "Berlin",
        countryCode: "DE",
        lat: 52.52,
        lon: 13.4,
      },
    ]);
    const near = await mapRequest(db, {
      place: "Katowice",
      radiusKm: 50,
      now: new Date("2026-11-01T00:00:00Z"),
    });
    if (near.kind !== "map") throw new Error(`not a map: ${near.kind}`);
    expect(near.view).toMatchObject({ kind: "near", radiusKm: 50 });
    // Kraków (70 km) may still show at the picture's edge; Berlin (530 km) is far outside it and never read.
    expect(near.groups.map((g) => g.name).sort()).toEqual(["PyKrakow", "PySilesia"]);
    expect(near.inArea.map((g) => g.name)).toEqual(["PySilesia"]);
  });
});
