import type { StatsChartData } from "../jobs/chart-data.js";
import type { MapGroup, MapOptions, MapView } from "../present/map/render.js";

/** A map as the doors use it: the PNG, and how many groups it shows. */
export interface DrawnMap {
  png: Buffer;
  /** Groups inside the picture (0: nothing worth sending). */
  onMap: number;
}

/**
 * Where maps and charts are drawn. The drawing itself is one code path (present/map/render.ts,
 * present/chart.ts); this says in which process it runs. The CLI draws in its own process; the bot
 * draws in a child process (render-process.ts), so that resvg's 50–300 ms of native work and the
 * atlas and pixmaps it holds never sit in the process that answers Discord.
 */
export interface Pictures {
  map(groups: MapGroup[], view: MapView, opts: MapOptions): Promise<DrawnMap>;
  statsChart(data: StatsChartData, now: Date): Promise<Buffer>;
  /** Stops drawing (ends a child process, if any); later calls fail. */
  close(): Promise<void>;
}

/** Why a picture could not be drawn; callers answer without it. */
export class RenderError extends Error {
  override name = "RenderError";
  constructor(
    readonly reason: "timeout" | "crashed" | "busy" | "unavailable" | "closed" | "failed",
    message: string,
  ) {
    super(message);
  }
}

export interface InlinePicturesOptions {
  /** Where the maps' prepared atlas is kept between processes (the data directory); null: made anew. */
  atlasDir?: string | null;
}

/**
 * Draws in this process. The drawing modules (resvg, d3-geo, the atlas, the fonts) load on the first
 * picture, so a process that never draws never pays for them.
 */
export function inlinePictures(o: InlinePicturesOptions = {}): Pictures {
  let closed = false;
  const open = () => {
    if (closed) throw new RenderError("closed", "The pictures are closed.");
  };
  return {
    async map(groups, view, opts) {
      open();
      const [{ renderMap }, { keepAtlasesIn }] = await Promise.all([
        import("../present/map/render.js"),
        import("../present/map/atlas.js"),
      ]);
      if (o.atlasDir) keepAtlasesIn(o.atlasDir);
      const map = renderMap(groups, view, opts);
      return { png: map.png, onMap: map.stats.onMap };
    },
    async statsChart(data, now) {
      open();
      const { statsChart } = await import("../present/chart.js");
      return statsChart(data, now).png;
    },
    async close() {
      closed = true;
    },
  };
}
