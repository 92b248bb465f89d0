import { describe, expect, it } from "vitest";
import { distanceKm } from "../../src/geo/distance.js";

describe("distanceKm", () => {
  it("is zero for the same point", () => {
    expect(distanceKm(50.06, 19.94, 50.06, 19.94)).toBe(0);
  });

  it("matches known great-circle distances", () => {
    // London - Paris ≈ 344 km, New York - Los Angeles ≈ 3936 km
    expect(distanceKm(51.5074, -0.1278, 48.8566, 2.3522)).toBeCloseTo(343.5, 0);
    expect(distanceKm(40.7128, -74.006, 34.0522, -118.2437)).toBeGreaterThan(3925);
    expect(distanceKm(40.7128, -74.006, 34.0522, -118.2437)).toBeLessThan(3945);
  });

  it("is symmetric and handles the antimeridian and poles", () => {
    expect(distanceKm(10, 20, -30, 40)).toBeCloseTo(distanceKm(-30, 40, 10, 20), 9);
    // Two points 1° apart across the date line, on the equator: ≈ 111 km, not ≈ 40,000 km
    expect(distanceKm(0, 179.5, 0, -179.5)).toBeCloseTo(111.2, 0);
    // Pole to pole: half the circumference
    expect(distanceKm(90, 0, -90, 0)).toBeCloseTo(20015, -1);
  });
});
