import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/connect.js";
import { upsertGuildAlerts } from "../../src/db/guild-settings.js";
import { enqueueAlert } from "../../src/db/outbox.js";
import { nearestGroup } from "../../src/db/spatial.js";
import { copyDatabase, verifyCopy } from "../../src/jobs/migrate-to.js";
import { dialectName, tempDb, tempSqliteDb } from "../helpers/db.js";
import { seedGroups } from "../helpers/seed.js";

const NOW = "2026-12-01T00:00:00.000Z";

/** A small but complete Poick database: groups with verdicts, a scan with checks, events, alerts, places. */
async function fill(db: Db): Promise<void> {
  const ids = await seedGroups(
    db,
    Array.from({ length: 1234 }, (_, i) => ({
      name: `Grüppe ${i} «ß»`,
      url: `https://g${i}.example/`,
      lat: -60 + (i % 120),
      lon: -179 + ((i * 7) % 358) + 0.123456789,
    })),
  );
  await db
    .updateTable("groups")
    .set({ status: "alive", ever_alive: 1 })
    .where("id", "in", ids.slice(0, 100))
    .execute();
  const scan = await db
    .insertInto("scans")
    .values({ started_at: NOW, finished_at: NOW, state: "done", total: 3, reason: null })
    .returning("id")
    .executeTakeFirstOrThrow();
  for (const [i, id] of ids.slice(0, 3).entries()) {
    await db
      .insertInto("checks")
      .values({
        group_id: id,
        scan_id: scan.id,
        checked_at: NOW,
        status: "alive",
        reason: "upcoming_event",
        http_status: 200,
        final_url: null,
        redirects: "[]",
        timings: JSON.stringify({ totalMs: 12.5 + i }),
        evidence: JSON.stringify({ title: "Python ☕" }),
      })
      .execute();
    await db.insertInto("events").values({ group_id: id, kind: "revived", at: NOW, detail: "{}" }).execute();
  }
  await upsertGuildAlerts(db, "123456789012345678", {
    channelId: "223456789012345678",
    scope: { kind: "near", value: "Katowice", lat: 50.26, lon: 19.02, radiusKm: 100 },
    now: NOW,
  });
  for (let i = 0; i < 5; i++) {
    await enqueueAlert(db, {
      key: `k${i}`,
      guild_id: "123456789012345678",
      channel_id: "223456789012345678",
      kind: "dead",
      group_id: ids[i] ?? null,
      payload: JSON.stringify({ content: `alert ${i}` }),
      created_at: NOW,
    });
  }
  await db
    .insertInto("cities")
    .values([
      {
        id: 3096472,
        name: "Katowice",
        key: "katowice",
        country: "PL",
        admin_code: "83",
        population: 317316,
        lat: 50.26,
        lon: 19.02,
      },
      {
        id: 3094802,
        name: "Kraków",
        key: "krakow",
        country: "PL",
        admin_code: "77",
        population: 755050,
        lat: 50.06,
        lon: 19.94,
      },
    ])
    .execute();
  await db.insertInto("city_names").values({ key: "cracow", city_id: 3094802 }).execute();
  await db.insertInto("meta").values({ key: "gazetteer_version", value: "test" }).execute();
  await db
    .insertInto("job_runs")
    .values({ name: "scan", last_started_at: NOW, last_finished_at: NOW, last_result: "ok" })
    .execute();
}

describe(`migrate-to: SQLite → ${dialectName}`, () => {
  it("copies every table in batches and proves it by counts and checksums", async () => {
    const { db: from } = await tempSqliteDb();
    const { db: to } = await tempDb();
    await fill(from);
    const progress: string[] = [];
    const out = await copyDatabase(from, to, {
      batchRows: 100,
      onProgress: (t, done, total) => progress.push(`${t} ${done}/${total}`),
    });
    expect(out.kind).toBe("copied");
    if (out.kind !== "copied") return;
    expect(Object.fromEntries(out.tables.map((t) => [t.table, t.rows]))).toMatchObject({
      groups: 1234,
      checks: 3,
      events: 3,
      outbox: 5,
      cities: 2,
      city_names: 1,
      guild_settings: 1,
    });
    expect(progress).toContain("groups 1234/1234");
    expect(progress.filter((p) => p.startsWith("groups "))).toHaveLength(13);

    // The copy is a working database: ids continue after the copied ones, the spatial index knows the groups.
    const next = await to
      .insertInto("events")
      .values({ group_id: "x", kind: "new", at: NOW, detail: "{}" })
      .returning("id")
      .executeTakeFirstOrThrow();
    expect(next.id).toBe(4);
    const alive = await nearestGroup(to, { lat: 0, lon: 0 }, { aliveOnly: true });
    expect(alive).toEqual(await nearestGroup(from, { lat: 0, lon: 0 }, { aliveOnly: true }));
  });

  it("notices a changed value, and refuses a target that already holds data", async () => {
    const { db: from } = await tempSqliteDb();
    const { db: to } = await tempDb();
    await fill(from);
    expect((await copyDatabase(from, to)).kind).toBe("copied");
    await to.updateTable("checks").set({ timings: '{"totalMs":12.6}' }).where("id", "=", 1).execute();
    expect(await verifyCopy(from, to)).toMatchObject({ kind: "mismatch", table: "checks" });
    expect(await copyDatabase(from, to)).toMatchObject({
      kind: "target_not_empty",
      tables: expect.arrayContaining(["groups"]),
    });
  });
});
