import { writeFileSync } from "node:fs";
import { mapRequest } from "../jobs/map-request.js";
import { str, UsageError, type Verb } from "./verb.js";

/** `poick map [place|--region R] [--radius KM] --out FILE.png` (register in cli.ts's VERBS). */
export const mapVerb: Verb = {
  name: "map",
  usage: "map [place] --out FILE.png   the groups on a map, coloured by status (PNG)",
  help: `Usage: poick map [place | --region CONTINENT|COUNTRY] [--radius KM] --out FILE.png

Draws the groups on a map, coloured by status: the world, a continent or country (--region),
or around a place (--radius, default 100 km). Examples:
  poick map --out world.png
  poick map --region Europe --out europe.png
  poick map Katowice --radius 100 --out katowice.png`,
  options: { region: { type: "string" }, radius: { type: "string" }, out: { type: "string", short: "o" } },
  async run(ctx, { values, positionals }) {
    const out = str(values.out);
    if (!out) throw new UsageError("Say where to write the picture: --out FILE.png");
    const radius = values.radius === undefined ? null : Number(values.radius);
    if (radius !== null && !(radius >= 1 && radius <= 20000))
      throw new UsageError("--radius is kilometres, 1 to 20000.");
    const app = await ctx.app();
    const req = await mapRequest(app.db, {
      place: positionals.join(" ") || null,
      region: str(values.region) ?? null,
      radiusKm: radius,
      now: ctx.io.clock?.now() ?? new Date(),
    });
    if (req.kind !== "map") {
      ctx.io.stderr(`${req.message}\n`);
      return 2;
    }
    // Through the app's pictures, as the bot draws: the same code, and the atlas prepared in the data directory.
    const map = await app.pictures.map(req.groups, req.view, { title: req.title, subtitle: req.subtitle });
    writeFileSync(out, map.png);
    ctx.io.stdout(`Wrote ${out} (${map.onMap} groups on the map).\n`);
    return 0;
  },
};
