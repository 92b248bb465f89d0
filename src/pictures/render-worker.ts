// The renderer process (see render-process.ts): draws what the bot asks, one picture at a time, with the
// same code the CLI draws with in its own process.
import { inlinePictures } from "./pictures.js";
import type { RenderAnswer, RenderRequest } from "./render-process.js";

if (!process.send) {
  process.stderr.write("render-worker is started by the bot (child_process.fork), not by hand.\n");
  process.exit(2);
}

// The one argument: the data directory, where the prepared atlas is kept (see startRenderProcess).
const pictures = inlinePictures({ atlasDir: process.argv[2] ?? null });
const answer = (a: RenderAnswer) => process.send?.(a);

async function draw(m: RenderRequest): Promise<void> {
  try {
    if (m.kind === "map") {
      const map = await pictures.map(m.groups, m.view, m.opts);
      answer({ kind: "done", id: m.id, png: map.png, onMap: map.onMap, rssBytes: process.memoryUsage.rss() });
    } else {
      const png = await pictures.statsChart(m.data, new Date(m.now));
      answer({ kind: "done", id: m.id, png, onMap: 0, rssBytes: process.memoryUsage.rss() });
    }
  } catch (err) {
    answer({ kind: "failed", id: m.id, message: String((err as Error)?.message ?? err) });
  }
}

process.on("message", (m: RenderRequest) => void draw(m));
// The bot let us go, or died: nothing more to draw.
process.on("disconnect", () => process.exit(0));
answer({ kind: "ready" });
