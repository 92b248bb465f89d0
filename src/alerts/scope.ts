import { distanceKm } from "../geo/distance.js";

export type ScopeKind = "all" | "continent" | "country" | "near";

/** The part of a guild's settings that says which groups its alerts cover. */
export interface AlertScope {
  scope_kind: ScopeKind;
  scope_value: string | null;
  scope_lat: number | null;
  scope_lon: number | null;
  scope_radius_km: number | null;
}

export interface ScopedGroup {
  continent: string | null;
  country_code: string | null;
  lat: number | null;
  lon: number | null;
}

const same = (a: string | null, b: string | null) =>
  a !== null && b !== null && a.trim().toLowerCase() === b.trim().toLowerCase();

/** Does this guild's alert scope cover this group? A group without a known place only matches "all". */
export function inScope(settings: AlertScope, group: ScopedGroup): boolean {
  switch (settings.scope_kind) {
    case "all":
      return true;
    case "continent":
      return same(settings.scope_value, group.continent);
    case "country":
      return same(settings.scope_value, group.country_code);
    case "near": {
      const { scope_lat: lat, scope_lon: lon, scope_radius_km: radius } = settings;
      if (lat === null || lon === null || radius === null || group.lat === null || group.lon === null)
        return false;
      return distanceKm(lat, lon, group.lat, group.lon) <= radius;
    }
    default:
      return false;
  }
}

let regionNames: Intl.DisplayNames | null = null;

/** "Poland" for "PL"; null when the code is not a known region. */
export function countryName(code: string): string | null {
  try {
    regionNames ??= new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });
    return regionNames.of(code.toUpperCase()) ?? null;
  } catch {
    return null;
  }
}

const formatRadius = (km: number) => `${Number.isInteger(km) ? km : Math.round(km * 10) / 10} km`;

/** "everything", "Europe", "Poland (PL)", "within 100 km of Katowice". */
export function describeScope(settings: AlertScope): string {
  const value = settings.scope_value?.trim() || null;
  switch (settings.scope_kind) {
    case "continent":
      return value ?? "one continent";
    case "country": {
      if (!value) return "one country";
      const code = value.toUpperCase();
      const name = countryName(code);
      return name && name !== code ? `${name} (${code})` : code;
    }
    case "near": {
      const radius = settings.scope_radius_km;
      const where =
        value ??
        (settings.scope_lat !== null && settings.scope_lon !== null
          ? `${settings.scope_lat.toFixed(2)}, ${settings.scope_lon.toFixed(2)}`
          : "a place");
      return radius === null ? `near ${where}` : `within ${formatRadius(radius)} of ${where}`;
    }
    default:
      return "everything";
  }
}
