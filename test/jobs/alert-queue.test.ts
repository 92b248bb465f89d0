import type { APIEmbed, RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/connect.js";
import { applySync } from "../../src/db/groups.js";
import { disableGuildAlerts, upsertGuildAlerts } from "../../src/db/guild-settings.js";
import type { GroupRow, OutboxRow } from "../../src/db/schema.js";
import { HostLimiter } from "../../src/http/limiter.js";
import {
  afterSyncAlerts,
  onScanTransition,
  queueNewGroupAlerts,
  queueTransitionAlerts,
  type TransitionAlertInput,
} from "../../src/jobs/alert-queue.js";
import { type Prober, scanGroups } from "../../src/jobs/scan.js";
import type { ProbeResult } from "../../src/liveness/probe-types.js";
import { silentLogger } from "../../src/logger.js";
import {
  ALL,
  guildWithAlerts,
  insertGroups,
  scopeContinent,
  scopeCountry,
  scopeNear,
} from "../helpers/alerts.js";
import { FakeClock } from "../helpers/clock.js";
import { tempDb } from "../helpers/db.js";
import { probeResult } from "../helpers/probe-result.js";

const AT = "2026-11-01T06:00:00.000Z";

const outbox = (db: Db): Promise<OutboxRow[]> => db.selectFrom("outbox").selectAll().orderBy("key").execute();
const embedOf = (r: OutboxRow | undefined): APIEmbed =>
  ((JSON.parse(r?.payload ?? "{}") as RESTPostAPIChannelMessageJSONBody).embeds ?? [])[0] as APIEmbed;

/** Katowice (dying), Kraków (alive, ~70 km), Lagos (alive). Guilds following various scopes. */
async function world(db: Db) {
  const [katowice, krakow] = await insertGroups(db, [
    {
      id: "g-katowice",
      name: "PySilesia",
      city: "Katowice",
      lat: 50.26,
      lon: 19.02,
      status: "alive",
      failing_since: "2026-10-30T06:00:00.000Z",
    },
    {
      id: "g-krakow",
      name: "PyKrakow",
      city: "Kraków",
      lat: 50.06,
      lon: 19.94,
      status: "alive",
      url: "https://krk.example/",
    },
    {
      id: "g-lagos",
      name: "PyLagos",
      city: "Lagos",
      continent: "Africa",
      country_code: "NG",
      country_name: "Nigeria",
      lat: 6.52,
      lon: 3.38,
      status: "alive",
    },
  ]);
  await guildWithAlerts(db, "all", "c-all", ALL);
  await guildWithAlerts(db, "europe", "c-eu", scopeContinent("Europe"));
  await guildWithAlerts(db, "poland", "c-pl", scopeCountry("PL"));
  await guildWithAlerts(db, "germany", "c-de", scopeCountry("DE"));
  await guildWithAlerts(db, "near-katowice", "c-near", scopeNear("Katowice", 50.26, 19.02, 30));
  await guildWithAlerts(db, "near-lagos", "c-lagos", scopeNear("Lagos", 6.52, 3.38, 100));
  await guildWithAlerts(db, "off", "c-off", ALL);
  await disableGuildAlerts(db, "off", "2026-01-02T00:00:00.000Z");
  return { katowice: katowice as GroupRow, krakow: krakow as GroupRow };
}

const dying = (group: GroupRow, p: Partial<TransitionAlertInput> = {}): TransitionAlertInput => ({
  group,
  transition: "dead",
  verdict: { reason: "dns_nxdomain", evidence: { httpStatus: null, finalUrl: null }, lastActivityAt: null },
  at: AT,
  firstScan: false,
  ...p,
});

describe("queueTransitionAlerts", () => {
  it("queues one row per guild whose scope covers the group", async () => {
    const { db } = await tempDb();
    const { katowice } = await world(db);
    const n = await db.transaction().execute((trx) => queueTransitionAlerts(trx, dying(katowice)));
    expect(n).toBe(4);
    const rows = await outbox(db);
    expect(rows.map((r) => [r.guild_id, r.channel_id])).toEqual([
      ["all", "c-all"],
      ["europe", "c-eu"],
      ["near-katowice", "c-near"],
      ["poland", "c-pl"],
    ]);
    expect(rows[0]).toMatchObject({
      key: `dead:g-katowice:${AT}:all`,
      kind: "dead",
      group_id: "g-katowice",
      created_at: AT,
      next_attempt_at: AT,
      attempts: 0,
    });
    const e = embedOf(rows[0]);
    expect(e.title).toBe("🔴 PySilesia looks dead");
    const fields = JSON.stringify(e.fields);
    expect(fields).toContain("DNS says no such name");
    expect(fields).toContain("[PyKrakow](https://krk.example/)"); // the nearest live group, looked up
    expect(fields).toContain("(2026-10-30)"); // failing since
  });

  it("is idempotent: a replayed transition adds nothing", async () => {
    const { db } = await tempDb();
    const { katowice } = await world(db);
    await queueTransitionAlerts(db, dying(katowice));
    expect(await queueTransitionAlerts(db, dying(katowice))).toBe(0);
    expect(await outbox(db)).toHaveLength(4);
  });

  it("a rolled-back transaction leaves no alert behind", async () => {
    const { db } = await tempDb();
    const { katowice } = await world(db);
    await expect(
      db.transaction().execute(async (trx) => {
        await queueTransitionAlerts(trx, dying(katowice));
        throw new Error("crash before commit");
      }),
    ).rejects.toThrow("crash before commit");
    expect(await outbox(db)).toHaveLength(0);
  });

  it("stays silent on the first scan of a fresh database", async () => {
    const { db } = await tempDb();
    const { katowice } = await world(db);
    expect(await queueTransitionAlerts(db, dying(katowice, { firstScan: true }))).toBe(0);
    expect(await outbox(db)).toHaveLength(0);
  });

  it("gives a guild that just set up alerts no backlog", async () => {
    const { db } = await tempDb();
    const { katowice } = await world(db);
    await upsertGuildAlerts(db, "newcomer", {
      channelId: "c-new",
      scope: ALL,
      now: "2026-11-01T07:00:00.000Z",
    });
    await queueTransitionAlerts(db, dying(katowice)); // happened at 06:00, before the newcomer joined
    expect((await outbox(db)).some((r) => r.guild_id === "newcomer")).toBe(false);
    await queueTransitionAlerts(
      db,
      dying(katowice, { transition: "revived", at: "2026-11-02T00:00:00.000Z" }),
    );
    const revived = (await outbox(db)).filter((r) => r.guild_id === "newcomer");
    expect(revived.map((r) => r.key)).toEqual(["revived:g-katowice:2026-11-02T00:00:00.000Z:newcomer"]);
    expect(embedOf(revived[0]).title).toBe("🟢 PySilesia is alive again");
  });

  it("uses the nearest alive group it is given", async () => {
    const { db } = await tempDb();
    const { katowice } = await world(db);
    await queueTransitionAlerts(db, dying(katowice, { nearestAlive: null }));
    expect(JSON.stringify(embedOf((await outbox(db))[0]).fields)).toContain("No other live group");
  });
});

describe("queueNewGroupAlerts", () => {
  it("tells the guilds whose scope covers the new group, and nothing on the first sync", async () => {
    const { db } = await tempDb();
    const { krakow } = await world(db);
    expect(await queueNewGroupAlerts(db, { addedGroups: [krakow], at: AT, firstSync: true })).toBe(0);
    expect(await queueNewGroupAlerts(db, { addedGroups: [krakow], at: AT, firstSync: false })).toBe(3);
    expect(await queueNewGroupAlerts(db, { addedGroups: [krakow], at: AT, firstSync: false })).toBe(0);
    const rows = await outbox(db);
    expect(rows.map((r) => r.key)).toEqual([
      "new:g-krakow:all",
      "new:g-krakow:europe",
      "new:g-krakow:poland",
    ]);
    expect(embedOf(rows[0]).title).toBe("🆕 New group listed");
    expect(embedOf(rows[2]).title).toBe("🆕 New group near you");
  });

  it("through a real sync: the first sync is silent, a later one announces what is new", async () => {
    const { db } = await tempDb();
    await guildWithAlerts(db, "poland", "c-pl", scopeCountry("PL"));
    const group = (name: string, cc = "PL") => ({
      id: name.toLowerCase(),
      name,
      url: `https://${name.toLowerCase()}.example/`,
      normalized_url: `//${name.toLowerCase()}.example`,
      description: null,
      continent: "Europe",
      country_code: cc,
      country_name: cc === "PL" ? "Poland" : "Germany",
      region: null,
      city: null,
      lat: null,
      lon: null,
      geo_confidence: 0.2,
      geo_level: "country" as const,
    });
    const sync = (now: string, names: [string, string?][]) =>
      applySync(
        db,
        {
          sourceId: "wiki",
          sourceUrl: "t",
          etag: null,
          lastModified: null,
          now,
          upserts: names.map(([n, c]) => group(n, c)),
        },
        afterSyncAlerts,
      );
    await sync("2026-10-01T00:00:00.000Z", [["PyWaw"], ["PyBerlin", "DE"]]);
    expect(await outbox(db)).toHaveLength(0);
    await sync("2026-10-02T00:00:00.000Z", [["PyWaw"], ["PyBerlin", "DE"], ["PyGda"], ["PyMunich", "DE"]]);
    const rows = await outbox(db);
    expect(rows.map((r) => r.key)).toEqual(["new:pygda:poland"]);
    expect(rows[0]?.created_at).toBe("2026-10-02T00:00:00.000Z");
  });
});

describe("through a real scan", () => {
  class StubProber implements Prober {
    constructor(private readonly answers: Map<string, ProbeResult>) {}
    async probe(url: string): Promise<ProbeResult> {
      return this.answers.get(url) ?? probeResult({ url });
    }
  }

  it("the first scan of a fresh database queues nothing; later transitions are queued once", async () => {
    const { db } = await tempDb();
    const [a, b] = await insertGroups(db, [
      { id: "a", name: "PyA", url: "https://a.example/", status: "alive", ever_alive: 1 },
      { id: "b", name: "PyB", url: "https://b.example/", status: "alive", ever_alive: 1 },
    ]);
    await guildWithAlerts(db, "G", "C", ALL);
    const clock = new FakeClock("2026-11-01T00:00:00Z");
    const answers = new Map<string, ProbeResult>();
    const gone = (url: string) => probeResult({ url, status: 404, body: "Not found" });
    const deps = {
      db,
      clock,
      logger: silentLogger,
      prober: new StubProber(answers),
      limiter: new HostLimiter({ concurrency: 2, perHostConcurrency: 1, perHostPerSecond: 1000 }),
      settings: {
        deadAfterChecks: 1,
        deadAfterHours: 0,
        dormantAfterDays: 365,
        canaryUrls: [],
        concurrency: 2,
      },
      onTransition: onScanTransition,
    };

    answers.set(a!.url, gone(a!.url));
    const first = await scanGroups(deps);
    expect(first.kind === "done" && first.transitions.map((t) => t.id)).toEqual(["a"]);
    expect(await outbox(db)).toHaveLength(0);

    clock.advanceHours(1);
    answers.set(b!.url, gone(b!.url));
    const second = await scanGroups(deps);
    expect(second.kind === "done" && second.transitions.map((t) => t.id)).toEqual(["b"]);
    const rows = await outbox(db);
    expect(rows.map((r) => r.key)).toEqual(["dead:b:2026-11-01T01:00:00.000Z:G"]);
    expect(JSON.stringify(embedOf(rows[0]).fields)).toContain("HTTP 404");
  });
});
