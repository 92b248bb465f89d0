import { describe, expect, it } from "vitest";
import { applySync, listChannels, type SyncUpsert } from "../../src/db/groups.js";
import { groupSearchKey } from "../../src/db/search-key.js";
import { dialectName, tempDb } from "../helpers/db.js";

const T1 = "2026-10-01T00:00:00.000Z";
const T2 = "2026-10-02T00:00:00.000Z";
const T3 = "2026-10-03T00:00:00.000Z";

function group(name: string, url: string, more: Partial<SyncUpsert> = {}): SyncUpsert {
  return {
    id: `${name.toLowerCase()}-000000`,
    name,
    url: `https://${url}/`,
    normalized_url: `//${url}`,
    description: null,
    continent: "Europe",
    country_code: "PL",
    country_name: "Poland",
    region: null,
    city: "Katowice",
    lat: 50.26,
    lon: 19.02,
    geo_confidence: 1,
    geo_level: "city",
    place_label: "Katowice",
    source_lines: "[1,1]",
    ...more,
  };
}

const sync = (db: Parameters<typeof applySync>[0], now: string, upserts: SyncUpsert[]) =>
  applySync(db, { sourceId: "wiki", sourceUrl: "test", etag: null, lastModified: null, now, upserts });

describe(`applySync (${dialectName})`, () => {
  it("keeps ids across address, channel and name changes; updates, touches, removes and restores in batches", async () => {
    const { db } = await tempDb();
    const first = await sync(db, T1, [
      group("Same", "same.example"),
      group("Moved", "moved.example"),
      group("Meetup", "meetup-site.example"),
      group("Renamed", "renamed.example"),
      group("Gone", "gone.example"),
      group("Byname", "byname.example"),
    ]);
    expect(first.added).toHaveLength(6);
    const ids = Object.fromEntries(
      (await db.selectFrom("groups").select(["id", "name"]).execute()).map((g) => [g.name, g.id]),
    );

    const second = await sync(db, T2, [
      group("Same", "same.example"),
      // A city changed: rewritten with its new search key.
      group("Moved", "moved.example", { city: "Kraków", lat: 50.06, lon: 19.94 }),
      // Its site now a channel of the new primary address: the same group.
      group("Meetup", "www.meetup.com/py", {
        id: "meetup-111111",
        channels: [
          {
            kind: "website",
            url: "https://meetup-site.example/",
            normalized_url: "//meetup-site.example",
            label: "Old",
          },
        ],
      }),
      group("Renamed", "renamed.example", { name: "Renamed Group" }),
      // A new address and no shared channel: found by its name.
      group("Byname", "byname.new.example", { id: "byname-222222" }),
      group("Fresh", "fresh.example"),
    ]);
    expect(second.added).toEqual(["fresh-000000"]);
    expect(second.removed).toEqual([ids.Gone]);
    // Updated: the four whose listing changed; "Same" was only seen again.
    expect([second.updated, second.rematched, second.restored]).toEqual([4, 2, []]);

    const rows = await db.selectFrom("groups").selectAll().orderBy("id").execute();
    const byId = new Map(rows.map((g) => [g.id, g]));
    expect(byId.get(ids.Meetup as string)?.normalized_url).toBe("//www.meetup.com/py");
    expect(byId.get(ids.Byname as string)?.normalized_url).toBe("//byname.new.example");
    const moved = byId.get(ids.Moved as string);
    expect([moved?.city, moved?.lat, moved?.lon, moved?.last_seen_at]).toEqual(["Kraków", 50.06, 19.94, T2]);
    expect(moved?.search_key).toBe(groupSearchKey({ name: "Moved", city: "Kraków", country_name: "Poland" }));
    expect(byId.get(ids.Renamed as string)?.name).toBe("Renamed Group");
    expect([byId.get(ids.Same as string)?.last_seen_at, byId.get(ids.Same as string)?.first_seen_at]).toEqual(
      [T2, T1],
    );
    expect(byId.get(ids.Gone as string)?.removed_at).toBe(T2);
    expect((await listChannels(db, ids.Meetup as string)).map((c) => c.url)).toEqual([
      "https://meetup-site.example/",
    ]);

    const third = await sync(db, T3, [group("Same", "same.example"), group("Gone", "gone.example")]);
    expect(third.restored).toEqual([ids.Gone]);
    expect(third.removed.sort()).toEqual(
      [ids.Moved, ids.Meetup, ids.Renamed, ids.Byname, "fresh-000000"].sort(),
    );
    const gone = await db
      .selectFrom("groups")
      .selectAll()
      .where("id", "=", ids.Gone as string)
      .executeTakeFirst();
    expect([gone?.removed_at, gone?.last_seen_at]).toEqual([null, T3]);
  });

  it("writes thousands of new and changed groups across statement batches", async () => {
    const { db } = await tempDb();
    const many = (n: number, city: string) =>
      Array.from({ length: n }, (_, i) => group(`G${i}`, `g${i}.example`, { id: `g${i}-000000`, city }));
    expect((await sync(db, T1, many(2_600, "Katowice"))).added).toHaveLength(2_600);
    const changed = many(2_600, "Katowice").map((g, i) => (i % 2 ? { ...g, city: "Gliwice" } : g));
    const again = await sync(db, T2, changed);
    // Every other group moved to Gliwice: those are updated, the rest only seen again.
    expect([again.added.length, again.updated, again.removed.length]).toEqual([0, 1_300, 0]);
    const cities = await db
      .selectFrom("groups")
      .select(["city", (eb) => eb.fn.countAll<number>().as("n")])
      .where("last_seen_at", "=", T2)
      .groupBy("city")
      .orderBy("city")
      .execute();
    expect(cities.map((c) => [c.city, Number(c.n)])).toEqual([
      ["Gliwice", 1_300],
      ["Katowice", 1_300],
    ]);
    // The same list once more: nothing changed, nothing is "updated".
    expect((await sync(db, T3, changed)).updated).toBe(0);
  });
});
