import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { latestListingSnapshot, listChannels } from "../../src/db/groups.js";
import { wireAlerts } from "../../src/jobs/alert-hooks.js";
import { syncGroups } from "../../src/jobs/sync.js";
import { silentLogger } from "../../src/logger.js";
import { guildWithAlerts } from "../helpers/alerts.js";
import { FakeClock } from "../helpers/clock.js";
import { tempDb } from "../helpers/db.js";

const CITIES = [
  "Berlin",
  "Hamburg",
  "Munich",
  "Leipzig",
  "Dresden",
  "Bremen",
  "Hannover",
  "Kiel",
  "Bonn",
  "Mainz",
  "Trier",
  "Aachen",
  "Freiburg",
  "Ulm",
  "Kassel",
  "Erfurt",
  "Jena",
  "Rostock",
  "Potsdam",
  "Augsburg",
  "Regensburg",
  "Passau",
  "Würzburg",
  "Bamberg",
  "Lübeck",
  "Münster",
  "Bochum",
  "Essen",
  "Dortmund",
  "Köln",
];
const slug = (c: string) => c.toLowerCase().replace("ü", "ue").replace("ö", "oe");

/** The same 30 groups as the old MoinMoin page lists them, and as the 2026 MyST page does. */
function pages(): { moin: string; myst: string } {
  const moin = ["#language en", "= Local User Groups =", "== Europe ==", "=== Germany ==="];
  const myst = ["# Local User Groups", "", "## Europe", "", "### Germany", ""];
  CITIES.forEach((city, i) => {
    const name = `Python ${city}`;
    const old = `http://py${slug(city)}.example/`;
    moin.push(` * ${city}: [[${old}|${name}]]`);
    if (i % 3 === 0) {
      // The group's site moved; the old address is now one of its channels.
      myst.push(
        `- [${name}](https://www.py${slug(city)}.example/new/) - ${city}`,
        "",
        `  - [Old site](${old})`,
        "",
      );
    } else if (i % 3 === 1) {
      // Same site, https now, plus a Meetup channel.
      myst.push(
        `- [${name}](https://py${slug(city)}.example/) - ${city}`,
        "",
        `  - [Meetup](https://www.meetup.com/py-${slug(city)}/)`,
        "",
      );
    } else {
      // Only its Meetup group is listed now: matched by its name.
      myst.push(`- [${name}](https://www.meetup.com/${slug(city)}-python/) - ${city}`, "");
    }
  });
  return { moin: `${moin.join("\n")}\n`, myst: `${myst.join("\n")}\n` };
}

describe("a listing that changes format", () => {
  it("keeps every group's id, verdict and history, and queues no alert", async () => {
    const { db, dir } = await tempDb();
    const clock = new FakeClock("2026-02-01T00:00:00Z");
    const hooks = wireAlerts(clock);
    const deps = { db, clock, logger: silentLogger, userAgent: "test", afterWrite: hooks.afterSync };
    const { moin, myst } = pages();
    writeFileSync(join(dir, "old.txt"), moin);
    writeFileSync(join(dir, "LocalUserGroups.md"), myst);

    const first = await syncGroups(deps, { source: join(dir, "old.txt") });
    expect(first.kind === "synced" && [first.format, first.found]).toEqual(["moin-markup", 30]);
    await guildWithAlerts(db, "111111111111111111", "222222222222222222");
    // Verdicts and history from earlier scans.
    const before = await db.selectFrom("groups").select(["id", "name"]).orderBy("name").execute();
    for (const [i, g] of before.entries()) {
      const status = i % 2 === 0 ? "dead" : "alive";
      await db
        .updateTable("groups")
        .set({ status, ever_alive: 1, status_since: "2026-01-15T00:00:00.000Z" })
        .where("id", "=", g.id)
        .execute();
      await db
        .insertInto("checks")
        .values({
          group_id: g.id,
          scan_id: null,
          checked_at: "2026-01-15T00:00:00.000Z",
          status,
          reason: "test",
          redirects: "[]",
          timings: "{}",
          evidence: "{}",
        })
        .execute();
    }
    const outboxBefore = (await db.selectFrom("outbox").select("id").execute()).length;

    clock.advanceHours(24);
    const second = await syncGroups(deps, { source: join(dir, "LocalUserGroups.md") });
    if (second.kind !== "synced") throw new Error(JSON.stringify(second));
    expect(second.format).toBe("myst");
    expect([second.added, second.removed, second.previousFormat]).toEqual([[], [], "moin-markup"]);
    expect(second.rematched).toBe(20);

    const after = await db
      .selectFrom("groups")
      .select(["id", "name", "status", "removed_at"])
      .orderBy("name")
      .execute();
    expect(after.map((g) => [g.id, g.name])).toEqual(before.map((g) => [g.id, g.name]));
    expect(after.map((g) => g.status)).toEqual(before.map((_, i) => (i % 2 === 0 ? "dead" : "alive")));
    expect(after.every((g) => g.removed_at === null)).toBe(true);
    expect((await db.selectFrom("checks").select("id").execute()).length).toBe(30);
    expect((await db.selectFrom("outbox").select("id").execute()).length).toBe(outboxBefore);
    expect(await db.selectFrom("events").select("id").where("kind", "=", "new").execute()).toEqual([]);

    const berlin = after.find((g) => g.name === "Python Berlin")!;
    expect((await listChannels(db, berlin.id)).map((c) => [c.kind, c.url])).toEqual([
      ["website", "http://pyberlin.example/"],
    ]);
    const snapshot = await latestListingSnapshot(db, "wiki");
    expect([snapshot?.format, snapshot?.body]).toEqual(["myst", myst]);
    expect((await db.selectFrom("sources").select("format").executeTakeFirst())?.format).toBe("myst");
  }, 180_000);
});
