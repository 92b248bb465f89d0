import type { Db } from "../../src/db/connect.js";
import { applySync } from "../../src/db/groups.js";

export interface Seed {
  name: string;
  url: string;
  city?: string;
  country?: string;
  countryCode?: string;
  continent?: string;
  lat?: number;
  lon?: number;
  channels?: { kind: string; url: string; label?: string }[];
}

/** Puts groups in the database the way a sync would (through the same query function). */
export async function seedGroups(
  db: Db,
  groups: Seed[],
  now = "2026-10-01T00:00:00.000Z",
): Promise<string[]> {
  const upserts = groups.map((g, i) => ({
    id: `g${i}-${g.name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
    name: g.name,
    url: g.url,
    normalized_url: g.url.toLowerCase(),
    description: null,
    continent: g.continent ?? "Europe",
    country_code: g.countryCode ?? "PL",
    country_name: g.country ?? "Poland",
    region: null,
    city: g.city ?? "Katowice",
    lat: g.lat ?? 50.26,
    lon: g.lon ?? 19.02,
    geo_confidence: 1,
    geo_level: "city" as const,
    channels: (g.channels ?? []).map((c) => ({
      kind: c.kind,
      url: c.url,
      normalized_url: c.url.toLowerCase(),
      label: c.label ?? c.kind,
    })),
  }));
  await applySync(db, { sourceId: "wiki", sourceUrl: "test", etag: null, lastModified: null, now, upserts });
  return upserts.map((u) => u.id);
}
