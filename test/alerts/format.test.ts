import type { APIEmbed, RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import {
  deadAlert,
  newGroupAlert,
  revivedAlert,
  statusBoard,
  weeklyDigest,
} from "../../src/alerts/format.js";
import {
  bulletList,
  clampEmbed,
  clampMessage,
  embedSize,
  DISCORD_LIMITS as L,
} from "../../src/text/discord-limits.js";
import { clip, safeText, safeUrl } from "../../src/text/toolkit.js";
import { makeGroup } from "../helpers/groups.js";

function expectWithinLimits(msg: RESTPostAPIChannelMessageJSONBody): void {
  expect(msg.allowed_mentions).toEqual({ parse: [] });
  const embeds = msg.embeds ?? [];
  expect(embeds.length).toBeLessThanOrEqual(L.embeds);
  let total = 0;
  for (const e of embeds) {
    expect(e.title?.length ?? 0).toBeLessThanOrEqual(L.title);
    expect(e.description?.length ?? 0).toBeLessThanOrEqual(L.description);
    expect(e.footer?.text.length ?? 0).toBeLessThanOrEqual(L.footer);
    expect(e.author?.name.length ?? 0).toBeLessThanOrEqual(L.author);
    expect(e.fields?.length ?? 0).toBeLessThanOrEqual(L.fields);
    for (const f of e.fields ?? []) {
      expect(f.name.length).toBeGreaterThan(0);
      expect(f.name.length).toBeLessThanOrEqual(L.fieldName);
      expect(f.value.length).toBeGreaterThan(0);
      expect(f.value.length).toBeLessThanOrEqual(L.fieldValue);
    }
    total += embedSize(e);
  }
  expect(total).toBeLessThanOrEqual(L.embedTotal);
  expect(msg.content?.length ?? 0).toBeLessThanOrEqual(L.content);
}

const huge = (n: number, unit = "x") => unit.repeat(n);

describe("text safety", () => {
  it("neutralises mentions and markdown in wiki text", () => {
    const s = safeText("@everyone join **PyFoo** <@123> <@&456> <#789> [click](https://evil.example)");
    expect(s).not.toContain("@everyone");
    expect(s).not.toMatch(/<@\d/);
    expect(s).not.toMatch(/<@&\d/);
    expect(s).not.toMatch(/<#\d/);
    expect(s).toContain("\\*\\*PyFoo\\*\\*");
    expect(s).toContain("\\[click\\]\\(https");
  });

  it("drops direction overrides and folds newlines in one-line text", () => {
    expect(safeText("Py\u202eSnoop\nGroup")).toBe("PySnoop Group");
  });

  it("clip never exceeds the limit, never splits a surrogate pair, never leaves a dangling escape", () => {
    const emoji = huge(100, "🐍");
    for (let max = 1; max < 30; max++) {
      const c = clip(emoji, max);
      expect(c.length).toBeLessThanOrEqual(max);
      expect(c).not.toMatch(/[\ud800-\udbff]…$/);
    }
    const escaped = safeText(huge(50, "*"));
    for (let max = 2; max < 20; max++) expect(clip(escaped, max)).not.toMatch(/(^|[^\\])(\\\\)*\\…$/);
  });

  it("only keeps http(s) links Discord will accept", () => {
    expect(safeUrl("https://pysilesia.org/")).toBe("https://pysilesia.org/");
    expect(safeUrl("https://example.org/a_(b)")).toBe("https://example.org/a_%28b%29");
    expect(safeUrl("javascript:alert(1)")).toBeNull();
    expect(safeUrl("not a url")).toBeNull();
    expect(safeUrl(`https://example.org/${huge(3000)}`)).toBeNull();
  });

  it("bulletList says how many did not fit", () => {
    const lines = Array.from({ length: 200 }, (_, i) => `Group number ${i} with a fairly long name`);
    const text = bulletList(lines);
    expect(text.length).toBeLessThanOrEqual(L.fieldValue);
    const shown = text.split("\n").filter((l) => l.startsWith("•")).length;
    expect(text.endsWith(`…and ${200 - shown} more`)).toBe(true);
    expect(bulletList(["a", "b"])).toBe("• a\n• b");
  });
});

describe("clampEmbed", () => {
  it("brings huge embeds within every limit", () => {
    const e: APIEmbed = {
      title: huge(10_000),
      description: huge(50_000),
      url: "not a url",
      footer: { text: huge(10_000) },
      author: { name: huge(1000) },
      fields: Array.from({ length: 60 }, (_, i) => ({ name: huge(1000, String(i % 10)), value: huge(5000) })),
    };
    const c = clampEmbed(e);
    expectWithinLimits({ embeds: [c], allowed_mentions: { parse: [] } });
    expect(c.url).toBeUndefined();
    expect(c.title?.endsWith("…")).toBe(true);
    expect(c.fields?.length).toBeGreaterThan(0);
  });

  it("leaves a small embed as it was", () => {
    const e: APIEmbed = {
      title: "Hi",
      description: "There",
      fields: [{ name: "a", value: "b", inline: true }],
    };
    expect(clampEmbed(e)).toEqual(e);
  });

  it("fills empty field names and values (Discord refuses empty ones)", () => {
    const c = clampEmbed({ fields: [{ name: "", value: "  " }] });
    expect(c.fields?.[0]?.name.length).toBeGreaterThan(0);
    expect(c.fields?.[0]?.value.length).toBeGreaterThan(0);
  });

  it("keeps the total of many embeds within 6000 and at most 10 embeds", () => {
    const embeds = Array.from({ length: 15 }, () => ({ title: huge(300), description: huge(4000) }));
    const msg = clampMessage({
      content: huge(5000),
      embeds,
      allowed_mentions: { parse: ["everyone"] as never },
    });
    expectWithinLimits(msg);
    expect(msg.embeds?.length).toBeGreaterThan(0);
  });
});

const nasty = makeGroup({
  name: `@everyone ${huge(400, "Py")} <@12345> **bold**`,
  url: "https://pysilesia.org/",
  city: huge(3000, "K"),
  region: huge(3000, "R"),
  country_name: "Poland",
  description: `${huge(10_000, "d")} @here`,
});

describe("alert messages", () => {
  it("deadAlert says what, where, why, since when, the link and an alternative", () => {
    const msg = deadAlert({
      group: makeGroup(),
      reasonText: "The domain no longer exists (DNS says no such name).",
      evidence: { httpStatus: null, finalUrl: null, lastActivityAt: "2025-03-01T18:00:00.000Z" },
      since: "2026-11-01T06:00:00.000Z",
      nearestAlive: {
        name: "PyData Kraków",
        url: "https://pydata.krakow.pl/",
        city: "Kraków",
        distanceKm: 68.4,
      },
    });
    expectWithinLimits(msg);
    const e = msg.embeds?.[0] as APIEmbed;
    expect(e.title).toBe("🔴 PySilesia looks dead");
    expect(e.url).toBe("https://www.meetup.com/PySilesia/");
    const text = JSON.stringify(e.fields);
    expect(text).toContain("Katowice, Poland");
    expect(text).toContain("DNS says no such name");
    expect(text).toContain("No HTTP answer");
    expect(text).toContain(`<t:${Date.parse("2026-11-01T06:00:00.000Z") / 1000}:R> (2026-11-01)`);
    expect(text).toContain("2025-03-01");
    expect(text).toContain("[PyData Kraków](https://pydata.krakow.pl/)");
    expect(text).toContain("68 km away");
    expect(e.timestamp).toBe("2026-11-01T06:00:00.000Z");
  });

  it("deadAlert shows the HTTP status and where the address now leads", () => {
    const msg = deadAlert({
      group: makeGroup({ url: "https://old.example/" }),
      reasonText: "The address now sends visitors to an unrelated website.",
      evidence: { httpStatus: 200, finalUrl: "https://casino.example/", lastActivityAt: null },
      since: "2026-11-01T06:00:00.000Z",
      nearestAlive: null,
    });
    const text = JSON.stringify(msg.embeds?.[0]?.fields);
    expect(text).toContain("HTTP 200");
    expect(text).toContain("casino.example");
    expect(text).toContain("No other live group");
  });

  it("every message stays within limits and pings nobody whatever the wiki says", () => {
    const counts = { alive: 59, dormant: 30, dead: 200, unknown: 35 };
    const many = Array.from({ length: 500 }, (_, i) => ({
      name: `${nasty.name} ${i}`,
      url: `https://example.org/${i}`,
      place: nasty.city,
    }));
    const msgs = [
      deadAlert({
        group: nasty,
        reasonText: huge(5000, "r"),
        evidence: { httpStatus: 404, finalUrl: `https://x.example/${huge(1900)}`, lastActivityAt: "garbage" },
        since: "2026-11-01T06:00:00.000Z",
        nearestAlive: { name: nasty.name, url: "https://y.example", city: nasty.city, distanceKm: 3.24 },
      }),
      revivedAlert({
        group: nasty,
        reasonText: huge(5000),
        since: "2026-11-01T00:00:00Z",
        deadSince: "2026-09-01T00:00:00Z",
      }),
      newGroupAlert({ group: nasty, at: "2026-11-01T00:00:00Z", distanceKm: 12.3 }),
      weeklyDigest(counts, { dead: many, revived: many, added: many }),
      statusBoard(
        counts,
        many.map((m) => ({ ...m, status: "dead" as const, since: "2026-10-01T00:00:00Z" })),
        "2026-11-01T00:00:00Z",
      ),
    ];
    for (const m of msgs) {
      expectWithinLimits(m);
      const json = JSON.stringify(m);
      expect(json).not.toContain("@everyone");
      expect(json).not.toContain("@here");
      expect(json).not.toContain("<@12345>");
    }
  });

  it("a group with a malformed address still makes a message Discord accepts", () => {
    const msg = deadAlert({
      group: makeGroup({ url: "htp:/broken address" }),
      reasonText: "x",
      evidence: { httpStatus: null, finalUrl: null, lastActivityAt: null },
      since: "2026-11-01T06:00:00.000Z",
      nearestAlive: null,
    });
    expect(msg.embeds?.[0]?.url).toBeUndefined();
    expect(JSON.stringify(msg)).toContain("not a valid web address");
  });

  it("revived and new-group messages", () => {
    const rev = revivedAlert({
      group: makeGroup(),
      reasonText: "The group has an upcoming event.",
      since: "2026-11-02T00:00:00Z",
      deadSince: "2026-10-01T00:00:00Z",
    });
    expect(rev.embeds?.[0]?.title).toBe("🟢 PySilesia is alive again");
    expect(JSON.stringify(rev)).toContain("(2026-10-01)");

    const near = newGroupAlert({
      group: makeGroup({ description: "Monthly _meetups_" }),
      at: "2026-11-02T00:00:00Z",
      distanceKm: 4.2,
    });
    expect(near.embeds?.[0]?.title).toBe("🆕 New group near you");
    expect(near.embeds?.[0]?.description).toContain("Monthly \\_meetups\\_");
    expect(JSON.stringify(near)).toContain("4.2 km");
    const all = newGroupAlert({ group: makeGroup(), at: "2026-11-02T00:00:00Z", nearYou: false });
    expect(all.embeds?.[0]?.title).toBe("🆕 New group listed");
  });

  it("digest and board count the groups", () => {
    const counts = { alive: 59, dormant: 10, dead: 250, unknown: 5 };
    const quiet = weeklyDigest(counts, { dead: [], revived: [], added: [] });
    expect(quiet.embeds?.[0]?.description).toContain("🟢 59 alive");
    expect(quiet.embeds?.[0]?.description).toContain("324 groups");
    expect(quiet.embeds?.[0]?.description).toContain("quiet week");
    const busy = weeklyDigest(counts, {
      dead: [{ name: "PyX", url: "https://x.example" }],
      revived: [],
      added: [],
    });
    expect(busy.embeds?.[0]?.fields?.[0]?.name).toBe("🔴 Looked dead (1)");
    const board = statusBoard(
      counts,
      [{ name: "PyX", url: "https://x.example", status: "dead" }],
      "2026-11-01T00:00:00Z",
    );
    expect(board.embeds?.[0]?.fields?.[0]?.value).toContain("🔴 [PyX](https://x.example/)");
    expect(board.embeds?.[0]?.timestamp).toBe("2026-11-01T00:00:00.000Z");
  });
});
