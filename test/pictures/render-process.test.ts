import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PNG } from "pngjs";
import { afterEach, describe, expect, it } from "vitest";
import type { StatsChartData } from "../../src/jobs/chart-data.js";
import { silentLogger } from "../../src/logger.js";
import { inlinePictures, type Pictures, RenderError } from "../../src/pictures/pictures.js";
import { type RenderProcessOptions, startRenderProcess } from "../../src/pictures/render-process.js";
import { atlasFile } from "../../src/present/map/atlas.js";
import type { MapGroup, MapView } from "../../src/present/map/render.js";
import { TSX_LOADER } from "../helpers/bot-process.js";

const FAKES = join(import.meta.dirname, "../helpers/renderers");

const GROUPS: MapGroup[] = [
  { name: "PySilesia", lat: 50.26, lon: 19.02, status: "dormant", city: "Katowice", countryCode: "PL" },
  { name: "Pykonik", lat: 50.06, lon: 19.94, status: "alive", city: "Kraków", countryCode: "PL" },
  { name: "PyWaw", lat: 52.23, lon: 21.01, status: "dead", city: "Warsaw", countryCode: "PL" },
];
const NEAR: MapView = { kind: "near", lat: 50.26, lon: 19.02, radiusKm: 150, placeName: "Katowice" };
const TITLE = { title: "Python user groups within 150 km of Katowice", subtitle: "Katowice, Poland" };
const CHART: StatsChartData = {
  scope: "the world",
  areas: [{ label: "Europe", total: 3, byStatus: { alive: 1, dormant: 1, dead: 1, unknown: 0 } }],
  history: [{ at: "2026-11-01T00:00:00.000Z", alive: 1, checked: 3 }],
};
const NOW = new Date("2026-12-01T12:00:00.000Z");

const open: Pictures[] = [];
afterEach(async () => {
  while (open.length) await open.pop()?.close();
});

/** A renderer process as the bot starts it, run through tsx (the test runs the TypeScript sources). */
function renderer(o: Partial<RenderProcessOptions> = {}) {
  const spawned: number[] = [];
  const r = startRenderProcess({
    logger: silentLogger,
    idleMs: 60_000,
    timeoutMs: 30_000,
    maxMemoryMb: 512,
    execArgv: ["--import", TSX_LOADER],
    onSpawn: (pid) => spawned.push(pid),
    ...o,
  });
  open.push(r);
  return Object.assign(r, { spawned });
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, ok: () => boolean, ms = 15_000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const reason = (p: Promise<unknown>) =>
  p.then(
    () => "drawn",
    (e: unknown) => (e instanceof RenderError ? e.reason : `not a RenderError: ${String(e)}`),
  );

describe("the renderer process", () => {
  it("draws in a child process exactly what the CLI draws in its own", async () => {
    const r = renderer();
    const map = await r.map(GROUPS, NEAR, TITLE);
    const chart = await r.statsChart(CHART, NOW);
    const inline = inlinePictures();
    const here = await inline.map(GROUPS, NEAR, TITLE);
    expect(map.onMap).toBe(2); // Warsaw lies outside a 150 km picture around Katowice
    expect(map.onMap).toBe(here.onMap);
    expect(map.png.equals(here.png)).toBe(true);
    expect(chart.equals(await inline.statsChart(CHART, NOW))).toBe(true);
    expect(PNG.sync.read(map.png).width).toBe(1200);
    expect(r.spawned).toHaveLength(1);
    expect(r.pid()).toBe(r.spawned[0]);
    expect(r.pid()).not.toBe(process.pid);
  });

  it("keeps the maps' prepared atlas in the data directory it is given", async () => {
    const dir = mkdtempSync(join(tmpdir(), "poick-render-"));
    try {
      const r = renderer({ atlasDir: dir });
      expect((await r.map(GROUPS, NEAR, TITLE)).onMap).toBe(2);
      expect(existsSync(atlasFile(dir, "50m"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a killed renderer costs only the picture it was drawing; the next picture starts a new one", async () => {
    const r = renderer();
    // Killed while starting, with a picture asked for: that picture fails.
    const first = r.map(GROUPS, NEAR, TITLE);
    await until("the renderer to start", () => r.spawned.length === 1);
    process.kill(r.spawned[0] as number, "SIGKILL");
    expect(await reason(first)).toBe("crashed");
    expect((await r.map(GROUPS, NEAR, TITLE)).onMap).toBe(2);
    expect(r.spawned).toHaveLength(2);

    // Killed while idle: nothing fails, the next picture is drawn by a new one.
    process.kill(r.spawned[1] as number, "SIGKILL");
    await until("the supervisor to notice", () => r.pid() === null);
    expect((await r.statsChart(CHART, NOW)).length).toBeGreaterThan(1000);
    expect(r.spawned).toHaveLength(3);
  });

  it("a request that can't be sent fails alone", async () => {
    const r = renderer();
    const unsendable = { ...TITLE, onDone: () => {} } as unknown as typeof TITLE;
    expect(await reason(r.map(GROUPS, NEAR, unsendable))).toBe("failed");
    expect((await r.map(GROUPS, NEAR, TITLE)).onMap).toBe(2);
    expect(r.spawned).toHaveLength(1);
  });

  it("a renderer that doesn't answer is killed at the deadline", async () => {
    const r = renderer({ entry: join(FAKES, "hung.ts"), timeoutMs: 500 });
    expect(await reason(r.map(GROUPS, NEAR, TITLE))).toBe("timeout");
    const pid = r.spawned[0] as number;
    await until("the hung renderer to be killed", () => !isRunning(pid));
  });

  it("refuses pictures beyond the queue at once", async () => {
    const r = renderer({ entry: join(FAKES, "hung.ts"), timeoutMs: 60_000, maxWaiting: 1 });
    const drawing = reason(r.map(GROUPS, NEAR, TITLE));
    const waiting = reason(r.map(GROUPS, NEAR, TITLE));
    expect(await reason(r.map(GROUPS, NEAR, TITLE))).toBe("busy");
    await r.close();
    expect([await drawing, await waiting]).toEqual(["closed", "closed"]);
  });

  it("after failures in a row it rests, answering at once without a picture", async () => {
    const r = renderer({ entry: join(FAKES, "crashing.ts"), maxFailures: 3, coolDownMs: 60_000 });
    for (let i = 0; i < 3; i++) expect(await reason(r.map(GROUPS, NEAR, TITLE))).toBe("crashed");
    expect(await reason(r.map(GROUPS, NEAR, TITLE))).toBe("unavailable");
    expect(r.spawned).toHaveLength(3);
  });

  it("exits when idle and starts again for the next picture", async () => {
    const r = renderer({ idleMs: 200 });
    await r.statsChart(CHART, NOW);
    const pid = r.spawned[0] as number;
    await until("the idle renderer to exit", () => !isRunning(pid));
    expect(r.pid()).toBeNull();
    await r.statsChart(CHART, NOW);
    expect(r.spawned).toHaveLength(2);
  });

  it("is replaced after a picture that leaves it larger than its cap", async () => {
    // 64 MiB: a Node process alone is about that, so every picture leaves it over the cap.
    const r = renderer({ maxMemoryMb: 64 });
    await r.statsChart(CHART, NOW);
    await r.statsChart(CHART, NOW);
    expect(r.spawned).toHaveLength(2);
    await until("the replaced renderer to exit", () => !isRunning(r.spawned[0] as number));
  });

  it("close ends the child, and later pictures are refused", async () => {
    const r = renderer();
    await r.statsChart(CHART, NOW);
    const pid = r.spawned[0] as number;
    await r.close();
    expect(isRunning(pid)).toBe(false);
    expect(await reason(r.statsChart(CHART, NOW))).toBe("closed");
  });
});
