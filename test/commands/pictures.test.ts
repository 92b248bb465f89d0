import { join } from "node:path";
import { parse } from "csv-parse/sync";
import type { APIEmbed } from "discord-api-types/v10";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { pug } from "../../src/commands/pug.js";
import { pugAdmin } from "../../src/commands/pug-admin.js";
import { nearButtons } from "../../src/commands/pug-near.js";
import type { Reply } from "../../src/commands/types.js";
import { UserError } from "../../src/commands/types.js";
import type { Status } from "../../src/db/schema.js";
import { DISCORD_LIMITS } from "../../src/text/discord-limits.js";
import { testApp } from "../helpers/app.js";
import { admin, member, RecordingResponder, rawOptions } from "../helpers/responder.js";
import { seedGroups } from "../helpers/seed.js";

const WIKI_MD = join(import.meta.dirname, "../fixtures/wiki-2026/LocalUserGroups.md");

async function seeded(): Promise<App> {
  const app = await testApp();
  await seedGroups(app.db, [
    { name: "PySilesia", url: "https://pysilesia.example/", city: "Katowice", lat: 50.26, lon: 19.02 },
    { name: "Pykonik", url: "https://pykonik.example/", city: "Kraków", lat: 50.06, lon: 19.94 },
    { name: "PyWaw", url: "https://pywaw.example/", city: "Warsaw", lat: 52.23, lon: 21.01 },
    {
      name: "PyBerlin",
      url: "https://pyberlin.example/",
      city: "Berlin",
      country: "Germany",
      countryCode: "DE",
      lat: 52.52,
      lon: 13.4,
    },
    {
      name: "PyNYC",
      url: "https://pynyc.example/",
      city: "New York",
      country: "United States",
      countryCode: "US",
      continent: "North America",
      lat: 40.71,
      lon: -74.01,
    },
  ]);
  const set = (name: string, status: Status) =>
    app.db.updateTable("groups").set({ status, reason: "test" }).where("name", "=", name).execute();
  await set("PySilesia", "dormant");
  await set("Pykonik", "alive");
  await set("PyBerlin", "alive");
  await set("PyWaw", "dead");
  return app;
}

/** The PNG a reply attaches under `name`, decoded (throws if it is not a PNG). */
function png(reply: Reply | undefined, name: string) {
  const file = reply?.files?.find((f) => f.name === name);
  expect(file, `${name} attached`).toBeDefined();
  const data = file?.data as Buffer;
  expect(data.length).toBeLessThan(DISCORD_LIMITS.attachmentBytes);
  return PNG.sync.read(data);
}

/** A picture with real content: more than a couple of colours, not one flat fill. */
function colours(img: PNG): number {
  const seen = new Set<number>();
  for (let i = 0; i < img.data.length; i += 4 * 97) seen.add(img.data.readUInt32BE(i));
  return seen.size;
}

const imageOf = (r: Reply | undefined) => (r?.embeds?.[0] as APIEmbed | undefined)?.image?.url;

describe("/pug map", () => {
  it("defers, then answers with map.png in the embed and the same groups as GeoJSON", async () => {
    const app = await seeded();
    const res = new RecordingResponder();
    await pug.run(app, member(), rawOptions("map", {}), res);
    expect(res.calls.map((c) => c.kind)).toEqual(["defer", "edit"]);
    expect(res.calls[0]?.ephemeral).toBe(false);
    const reply = res.last;
    expect(reply?.ephemeral).toBeFalsy();
    const img = png(reply, "map.png");
    expect([img.width, img.height]).toEqual([1200, 680]);
    expect(colours(img)).toBeGreaterThan(8);
    expect(imageOf(reply)).toBe("attachment://map.png");
    expect(reply?.files?.map((f) => f.name)).toEqual(["map.png", "python-user-groups.geojson"]);
    const geo = JSON.parse(String(reply?.files?.[1]?.data)) as {
      features: { properties: { name: string; status: string } }[];
    };
    expect(geo.features.map((f) => f.properties.name).sort()).toEqual([
      "PyBerlin",
      "PyNYC",
      "PySilesia",
      "PyWaw",
      "Pykonik",
    ]);
    expect(res.text).toContain("Python user groups of the world");
    expect(res.text).toMatch(/🟢 2 alive · 🟡 1 dormant · 🔴 1 dead · ⚪ 1 unknown/);
  });

  it("around a place: the file holds only the groups within the radius; show=alive draws only those", async () => {
    const app = await seeded();
    const res = new RecordingResponder();
    await pug.run(app, member(), rawOptions("map", { place: "Katowice", radius_km: 150 }), res);
    const img = png(res.last, "map.png");
    expect([img.width, img.height]).toEqual([1200, 820]);
    const names = (r: RecordingResponder) =>
      (
        JSON.parse(String(r.last?.files?.[1]?.data)) as { features: { properties: { name: string } }[] }
      ).features
        .map((f) => f.properties.name)
        .sort();
    expect(names(res)).toEqual(["PySilesia", "Pykonik"]);
    expect(res.text).toMatch(/within 150 km of Katowice/);

    const alive = new RecordingResponder();
    await pug.run(
      app,
      member(),
      rawOptions("map", { place: "Katowice", radius_km: 150, show: "alive" }),
      alive,
    );
    expect(names(alive)).toEqual(["Pykonik"]);
  });

  it("a region: a continent or a country", async () => {
    const app = await seeded();
    const europe = new RecordingResponder();
    await pug.run(app, member(), rawOptions("map", { region: "Europe" }), europe);
    expect(png(europe.last, "map.png").width).toBe(1200);
    expect(europe.text).toContain("Python user groups in Europe");
    const poland = new RecordingResponder();
    await pug.run(app, member(), rawOptions("map", { region: "PL" }), poland);
    expect(poland.text).toContain("Python user groups in Poland");
    expect(poland.last?.files?.[1]?.data.toString()).not.toContain("PyBerlin");
  });

  it("a place or region it can't read is answered privately at once, with nothing drawn", async () => {
    const app = await seeded();
    const res = new RecordingResponder();
    await pug.run(app, member(), rawOptions("map", { region: "Atlantis" }), res);
    expect(res.calls.map((c) => c.kind)).toEqual(["reply"]);
    expect(res.last).toMatchObject({ ephemeral: true, content: expect.stringContaining("Atlantis") });
    expect(res.last?.files).toBeUndefined();
    await expect(
      pug.run(app, member(), rawOptions("map", { place: "Katowice", region: "Europe" }), res),
    ).rejects.toThrow(UserError);
  });

  it("autocompletes regions and places", async () => {
    const app = await seeded();
    const regions = await pug.autocomplete?.(app, member(), rawOptions("map"), {
      name: "region",
      value: "eu",
    });
    expect(regions?.[0]?.value).toBe("Europe");
    const pol = await pug.autocomplete?.(app, member(), rawOptions("map"), { name: "region", value: "pol" });
    expect(pol?.map((c) => c.value)).toContain("Poland");
    const places = await pug.autocomplete?.(app, member(), rawOptions("map"), {
      name: "place",
      value: "Katow",
    });
    expect(places?.[0]?.name).toMatch(/^Katowice/);
  });
});

describe("/pug near", () => {
  it("sends the list first, then edits the same reply to add near.png as the embed's picture", async () => {
    const app = await seeded();
    const res = new RecordingResponder();
    await pug.run(app, member(), rawOptions("near", { place: "Katowice" }), res);
    expect(res.calls.map((c) => c.kind)).toEqual(["reply", "edit"]);
    const [first, second] = res.calls;
    expect(first?.reply?.files).toBeUndefined();
    expect(imageOf(first?.reply)).toBeUndefined();
    expect(first?.reply?.embeds?.[0]?.description).toContain("PySilesia");
    // The edit is the same message plus the picture.
    const { image, ...embed } = (second?.reply?.embeds?.[0] ?? {}) as APIEmbed;
    expect(embed).toEqual(first?.reply?.embeds?.[0]);
    expect(image?.url).toBe("attachment://near.png");
    const img = png(second?.reply, "near.png");
    expect([img.width, img.height]).toEqual([1200, 820]);
    expect(colours(img)).toBeGreaterThan(8);
  });

  it("keeps the list when the map can't be added, and logs why", async () => {
    const app = await seeded();
    const warnings: unknown[] = [];
    const logger = Object.assign(Object.create(app.logger), {
      warn: (o: unknown) => warnings.push(o),
    }) as App["logger"];
    class RefusingEdits extends RecordingResponder {
      override async edit(): Promise<void> {
        throw new Error("Discord said no");
      }
    }
    const res = new RefusingEdits();
    await pug.run({ ...app, logger }, member(), rawOptions("near", { place: "Katowice" }), res);
    expect(res.calls.map((c) => c.kind)).toEqual(["reply"]);
    expect(res.text).toContain("PySilesia");
    expect(warnings).toHaveLength(1);
  });

  it("a did-you-mean gets no map", async () => {
    const app = await seeded();
    const res = new RecordingResponder();
    await pug.run(app, member(), rawOptions("near", { place: "Katowcie" }), res);
    expect(res.calls.map((c) => c.kind)).toEqual(["reply"]);
    expect(res.last?.ephemeral).toBe(true);
  });

  it("a page turn shows the page at once, dropping the old map, then carries the map again", async () => {
    const app = await seeded();
    const inv = member();
    const res = new RecordingResponder();
    await nearButtons.execute(app, inv, [inv.userId, "0", "n", "2000", "all", "Katowice"], res);
    expect(res.calls.map((c) => c.kind)).toEqual(["update", "edit"]);
    const page = res.calls[0]?.reply;
    expect(page?.files).toEqual([]);
    expect(imageOf(page)).toBeUndefined();
    expect(res.last?.embeds?.[0]?.description).toBe(page?.embeds?.[0]?.description);
    expect(imageOf(res.last)).toBe("attachment://near.png");
    expect(png(res.last, "near.png").width).toBe(1200);
  });
});

describe("/pug stats", () => {
  it("defers, then answers with the numbers and stats.png as the embed's picture", async () => {
    const app = await seeded();
    const res = new RecordingResponder();
    await pug.run(app, member(), rawOptions("stats", {}), res);
    expect(res.calls.map((c) => c.kind)).toEqual(["defer", "edit"]);
    expect(res.text).toMatch(/2 \/ 5 = 40\.0% alive/);
    expect(imageOf(res.last)).toBe("attachment://stats.png");
    const img = png(res.last, "stats.png");
    expect([img.width, img.height]).toEqual([1200, 620]);
    expect(colours(img)).toBeGreaterThan(4);
  });

  it("an unknown area is answered privately at once, without a chart", async () => {
    const app = await seeded();
    const res = new RecordingResponder();
    await pug.run(app, member(), rawOptions("stats", { country: "Atlantis" }), res);
    expect(res.calls.map((c) => c.kind)).toEqual(["reply"]);
    expect(res.last?.ephemeral).toBe(true);
    expect(res.last?.files).toBeUndefined();
  });
});

describe("/pug-admin report", () => {
  it("a deferred private answer with the file attached, markdown by default", async () => {
    const app = await seeded();
    const md = new RecordingResponder();
    await pugAdmin.run(app, admin(), rawOptions("report", {}), md);
    expect(md.calls.map((c) => [c.kind, c.ephemeral ?? c.reply?.ephemeral])).toEqual([
      ["defer", true],
      ["edit", true],
    ]);
    expect(md.last?.files?.map((f) => f.name)).toEqual(["report.md"]);
    expect(md.text).toContain("1 dead and 1 dormant of 5 listed groups");
    expect(String(md.last?.files?.[0]?.data)).toContain("PyWaw");

    const csv = new RecordingResponder();
    await pugAdmin.run(app, admin(), rawOptions("report", { format: "csv" }), csv);
    const rows = parse(String(csv.last?.files?.[0]?.data), { columns: true }) as { name: string }[];
    expect(csv.last?.files?.[0]?.name).toBe("report.csv");
    expect(rows.map((r) => r.name).sort()).toEqual(["PyBerlin", "PyNYC", "PySilesia", "PyWaw", "Pykonik"]);

    const json = new RecordingResponder();
    await pugAdmin.run(app, admin(), rawOptions("report", { format: "json" }), json);
    expect(json.last?.files?.[0]?.name).toBe("report.json");
    expect(JSON.parse(String(json.last?.files?.[0]?.data)).inactive).toHaveLength(2);

    const wiki = new RecordingResponder();
    await pugAdmin.run(app, admin(), rawOptions("report", { format: "wiki" }), wiki);
    expect(wiki.last).toMatchObject({ ephemeral: true, content: expect.stringMatching(/sync first/) });
    expect(wiki.last?.files).toBeUndefined();

    await expect(
      pugAdmin.run(app, member(), rawOptions("report", {}), new RecordingResponder()),
    ).rejects.toThrow(UserError);
  });

  it("the wiki page, edited, after a sync from the Markdown source", async () => {
    const app = await testApp();
    expect((await app.jobs.sync({ source: WIKI_MD })).kind).toBe("synced");
    await app.db
      .updateTable("groups")
      .set({ status: "dead", reason: "http_404" })
      .where("name", "=", "PyUNG")
      .execute();
    const res = new RecordingResponder();
    await pugAdmin.run(app, admin(), rawOptions("report", { format: "wiki" }), res);
    expect(res.last?.files?.map((f) => f.name)).toEqual(["LocalUserGroups.md"]);
    expect(res.text).toMatch(/Moved 1 dead entry under "Inactive groups"/);
    expect(String(res.last?.files?.[0]?.data)).toContain(
      "#### Inactive groups\n\n- ([PyUNG](http://pythonnigeria.org/))",
    );
  }, 60_000);
});
