import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { finishScan, recordCheck, startOrResumeScan } from "../../src/db/scans.js";
import { statsChartData } from "../../src/jobs/chart-data.js";
import { renderStatsChart } from "../../src/present/chart.js";
import { tempDb } from "../helpers/db.js";
import { seedGroups } from "../helpers/seed.js";

async function scanWith(
  db: Awaited<ReturnType<typeof tempDb>>["db"],
  ids: string[],
  at: string,
  alive: number,
) {
  const { scanId } = await startOrResumeScan(db, at, at, ids.length);
  for (const [i, id] of ids.entries()) {
    const status = i < alive ? "alive" : "dead";
    await recordCheck(
      db,
      {
        groupId: id,
        scanId,
        checkedAt: at,
        status,
        reason: status === "alive" ? "ok" : "http_404",
        httpStatus: 200,
        finalUrl: null,
        redirects: [],
        timings: {},
        evidence: {},
      },
      (g) => ({
        status,
        reason: null,
        status_since: at,
        ever_alive: 1,
        consecutive_failures: 0,
        failing_since: null,
        failing_reason: null,
        last_activity_at: g.last_activity_at,
        next_event_at: null,
      }),
    );
  }
  await finishScan(db, scanId, "done", at, null);
}

describe("stats chart", () => {
  it("computes alive shares per continent and alive groups per finished scan from the database", async () => {
    const { db } = await tempDb();
    const ids = await seedGroups(db, [
      { name: "PySilesia", url: "https://a.example/" },
      { name: "Pykonik", url: "https://b.example/", city: "Kraków" },
      { name: "PyBerlin", url: "https://c.example/", countryCode: "DE", country: "Germany", city: "Berlin" },
      {
        name: "PyNYC",
        url: "https://d.example/",
        continent: "North America",
        countryCode: "US",
        country: "United States",
      },
    ]);
    await scanWith(db, ids, "2026-10-01T00:00:00.000Z", 1);
    await scanWith(db, ids, "2026-10-08T00:00:00.000Z", 3);
    const data = await statsChartData(db);
    expect(data.areas.map((a) => [a.label, a.total, a.byStatus.alive])).toEqual([
      ["Europe", 3, 3],
      ["North America", 1, 0],
    ]);
    expect(data.history).toEqual([
      { at: "2026-10-01T00:00:00.000Z", alive: 1, checked: 4 },
      { at: "2026-10-08T00:00:00.000Z", alive: 3, checked: 4 },
    ]);
    const europe = await statsChartData(db, { continent: "europe" });
    expect(europe.areas.map((a) => a.label)).toEqual(["Poland", "Germany"]);

    const chart = renderStatsChart({ title: "Python user groups", ...data });
    const img = PNG.sync.read(chart.png);
    expect([img.width, img.height]).toEqual([1200, 620]);
    expect(chart.svg).toContain("3 alive");
    expect(chart.svg).toContain("Europe");
  });

  it("draws an empty chart for an empty database", async () => {
    const { db } = await tempDb();
    const chart = renderStatsChart({ title: "Python user groups", ...(await statsChartData(db)) });
    expect(chart.svg).toContain("No finished scan yet.");
    expect(PNG.sync.read(chart.png).width).toBe(1200);
  });
});
