import type { APIEmbed } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { renderInfo } from "../../src/commands/pug-info.js";
import { didYouMean, pageButtons, renderNear } from "../../src/commands/pug-near.js";
import { renderSearch } from "../../src/commands/pug-search.js";
import { renderStats } from "../../src/commands/pug-stats.js";
import type { Place } from "../../src/geo/geocode.js";
import { clampEmbed, clampEmbeds, DISCORD_LIMITS } from "../../src/text/discord-limits.js";
import { safeText } from "../../src/text/toolkit.js";
import { makeCheck, makeGroup } from "../helpers/groups.js";

const now = new Date("2026-11-01T00:00:00Z");
const katowice: Place = {
  id: 1,
  name: "Katowice",
  country: "PL",
  countryName: "Poland",
  region: "Silesia",
  lat: 50.258,
  lon: 19.027,
  population: 300_000,
  label: "Katowice, Silesia, PL",
};

function embedSize(e: APIEmbed): number {
  return (
    (e.title?.length ?? 0) +
    (e.description?.length ?? 0) +
    (e.footer?.text.length ?? 0) +
    (e.author?.name.length ?? 0) +
    (e.fields ?? []).reduce((a, f) => a + f.name.length + f.value.length, 0)
  );
}

function withinLimits(e: APIEmbed) {
  expect(e.title?.length ?? 0).toBeLessThanOrEqual(DISCORD_LIMITS.title);
  expect(e.description?.length ?? 0).toBeLessThanOrEqual(DISCORD_LIMITS.description);
  expect(e.fields?.length ?? 0).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
  for (const f of e.fields ?? []) {
    expect(f.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName);
    expect(f.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
  }
  expect(embedSize(e)).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
}

describe("/pug near rendering", () => {
  const silesia = { group: makeGroup(), distanceKm: 0.4 };
  const pykonik = {
    group: makeGroup({
      id: "pykonik-1",
      name: "Pykonik",
      city: "Kraków",
      lat: 50.06,
      lon: 19.94,
      next_event_at: null,
    }),
    distanceKm: 68.2,
  };

  it("lists groups nearest first with status, distance and city, and names the nearest alive group", () => {
    const r = renderNear(
      {
        result: {
          kind: "found",
          place: katowice,
          radiusKm: 100,
          groups: [silesia, pykonik],
          groupsTotal: 2,
          nearest: silesia,
          nearestAlive: silesia,
          alternatives: [],
        },
        page: 0,
        show: "all",
        userId: "123456789012345678",
        query: "Katowice",
      },
      now,
    );
    const d = r.embeds?.[0]?.description ?? "";
    expect(d.indexOf("PySilesia")).toBeLessThan(d.indexOf("Pykonik"));
    expect(d).toContain("68 km");
    expect(d).toContain("Kraków");
    expect(d).toContain("Nearest alive group: **PySilesia**");
    expect(d).toMatch(/next event <t:\d+:R>/);
    expect(r.components).toBeUndefined();
  });

  it("names the nearest alive group even beyond the radius", () => {
    const dead = { group: makeGroup({ status: "dead", reason: "http_404" }), distanceKm: 0.4 };
    const r = renderNear(
      {
        result: {
          kind: "found",
          place: katowice,
          radiusKm: 10,
          groups: [dead],
          groupsTotal: 1,
          nearest: dead,
          nearestAlive: pykonik,
          alternatives: [],
        },
        page: 0,
        show: "all",
        userId: "1",
        query: "Katowice",
      },
      now,
    );
    expect(r.embeds?.[0]?.description).toContain("Nearest alive group: **Pykonik**, Kraków, 68 km");
  });

  it("pages long lists with buttons whose ids hold the state and fit in 100 characters", () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      group: makeGroup({ id: `g${i}`, name: `Group ${i} ${"x".repeat(200)}`, description: "y".repeat(5000) }),
      distanceKm: i,
    }));
    const r = renderNear(
      {
        result: {
          kind: "found",
          place: katowice,
          radiusKm: 2000,
          // findNear reads only the page shown; the total gives the page count.
          groups: many.slice(8, 16),
          groupsTotal: many.length,
          nearest: many[0]!,
          nearestAlive: many[0]!,
          alternatives: [],
        },
        page: 1,
        show: "all",
        userId: "123456789012345678",
        query: "a".repeat(100),
      },
      now,
    );
    withinLimits(r.embeds![0]!);
    const buttons = r.components?.[0]?.components ?? [];
    expect(buttons).toHaveLength(2);
    for (const b of buttons) {
      const id = (b as { custom_id: string }).custom_id;
      expect(id.length).toBeLessThanOrEqual(100);
      expect(id.startsWith("near:123456789012345678:")).toBe(true);
    }
    expect((buttons[0] as { custom_id: string }).custom_id).toMatch(/^near:\d+:0:p:2000:all:a+$/);
    expect(r.embeds?.[0]?.footer?.text).toContain("30 groups · page 2/4");
    expect(r.embeds?.[0]?.description).toContain("Group 8 ");
    expect(r.embeds?.[0]?.description).not.toContain("Group 16 ");
  });

  it("unknown places get an ephemeral did-you-mean", () => {
    const r = didYouMean("Katowcie", "not_found", [katowice]);
    expect(r.ephemeral).toBe(true);
    expect(r.content).toContain("Did you mean");
    expect(r.content).toContain("Katowice, Silesia, PL");
  });
});

describe("escaping and limits", () => {
  it("neutralises mentions and markdown from wiki data", () => {
    const s = safeText("@everyone <@123> **bold** [x](http://evil)");
    expect(s).not.toContain("@everyone");
    expect(s).not.toMatch(/<@\d/);
    expect(s).not.toContain("**");
  });

  it("clamps any embed within Discord's limits", () => {
    const huge: APIEmbed = {
      title: "t".repeat(1000),
      description: "d".repeat(10_000),
      fields: Array.from({ length: 40 }, () => ({ name: "n".repeat(500), value: "v".repeat(2000) })),
      footer: { text: "f".repeat(5000) },
    };
    withinLimits(clampEmbed(huge));
    expect(clampEmbeds(Array.from({ length: 15 }, () => huge)).length).toBeLessThanOrEqual(
      DISCORD_LIMITS.embeds,
    );
  });

  it("page buttons never exceed 100 characters", () => {
    const row = pageButtons("search", "123456789012345678", 3, 9, ["ü".repeat(300)]);
    for (const b of row.components)
      expect((b as { custom_id: string }).custom_id.length).toBeLessThanOrEqual(100);
  });
});

describe("/pug info, search, stats rendering", () => {
  it("info shows the verdict in words, evidence, history and links", () => {
    const g = makeGroup({
      status: "alive",
      failing_since: "2026-10-30T00:00:00Z",
      failing_reason: "http_404",
      consecutive_failures: 2,
    });
    const r = renderInfo(
      g,
      [makeCheck(), makeCheck({ id: 2, status: "dead", reason: "http_404", http_status: 404 })],
      now,
    );
    const e = r.embeds![0]!;
    withinLimits(e);
    const text = JSON.stringify(e);
    expect(e.title).toContain("PySilesia");
    expect(text).toContain("HTTP 200");
    expect(text).toContain("Failing");
    expect(text).toContain("Recent checks");
    expect(e.url).toBe(g.url);
  });

  it("search lists matches, or says none matched", () => {
    expect(renderSearch("zzz", [], 0, "1").ephemeral).toBe(true);
    const r = renderSearch("py", [makeGroup(), makeGroup({ id: "x", name: "PyData" })], 0, "1");
    expect(r.embeds?.[0]?.description).toContain("PyData");
  });

  it("stats reads like the study", () => {
    const r = renderStats(
      {
        kind: "stats",
        scope: "All groups",
        total: 324,
        alive: 59,
        byStatus: { alive: 59, dormant: 20, dead: 200, unknown: 45 },
        lastScanAt: null,
      },
      {
        lastScanAt: "2026-10-31T00:00:00Z",
        nextScanAt: new Date("2026-11-01T06:40:00Z"),
        lastSyncAt: null,
        nextSyncAt: null,
      },
    );
    expect(r.embeds?.[0]?.description).toContain("59 / 324 = 18.2% alive");
    expect(r.embeds?.[0]?.description).toMatch(/next <t:\d+:R>/);
  });
});
