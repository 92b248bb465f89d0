import { findNear } from "../jobs/near.js";
import { STATUS_EMOJI } from "../liveness/status.js";
import { groupJson } from "../present/groups.js";
import { formatKm, table } from "../text/toolkit.js";
import { printJson, UsageError, type Verb } from "./verb.js";

export function parseRadius(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const s = String(raw).trim();
  const km = Number(s.replace(/\s*km$/i, ""));
  if (!s || !Number.isFinite(km) || km < 1 || km > 20_000) {
    throw new UsageError(`--radius must be a number of kilometres between 1 and 20000, got "${s}".`);
  }
  return km;
}

export const nearVerb: Verb = {
  name: "near",
  usage: "near <place> [--radius KM]   groups near a place, nearest first",
  help: `Usage: poick near <place> [--radius KM] [--json]

Groups near a place, nearest first, with their distance. Always names the nearest group,
even beyond the radius. Examples:
  poick near Katowice
  poick near "Portland, Maine" --radius 200

  --radius KM   search radius in kilometres, 1 to 20000 (default 100)`,
  options: { radius: { type: "string", short: "r" } },
  async run(ctx, { values, positionals, json }) {
    const query = positionals.join(" ").trim();
    if (!query) throw new UsageError("Say where: poick near <place>, for example poick near Katowice.");
    const radiusKm = parseRadius(values.radius);
    const app = await ctx.app();
    const res = await findNear(app.db, query, { radiusKm });
    if (res.kind !== "found") {
      const sugg = res.suggestions.map((p) => p.label);
      if (json) printJson(ctx, { error: res.kind, query, suggestions: sugg });
      const msg =
        res.kind === "ambiguous"
          ? `"${query}" could mean several places. Add a region or country, for example:`
          : `I couldn't find a place called "${query}".${sugg.length ? " Did you mean:" : " Check the spelling, or add the country."}`;
      ctx.io.stderr(`${msg}\n${sugg.map((s) => `  ${s}`).join("\n")}${sugg.length ? "\n" : ""}`);
      return 2;
    }
    const rows = res.groups.length ? res.groups : res.nearest ? [res.nearest] : [];
    if (json) {
      printJson(
        ctx,
        rows.map((r) => ({ ...groupJson(r.group), distance_km: Math.round(r.distanceKm * 10) / 10 })),
      );
      return 0;
    }
    const out: string[] = [`Groups within ${formatKm(res.radiusKm)} of ${res.place.label}:`];
    if (res.groups.length === 0) out.push("  none.");
    else
      out.push(
        table(
          ["", "distance", "group", "where", "status", "url"],
          res.groups.map((r) => [
            STATUS_EMOJI[r.group.status],
            formatKm(r.distanceKm),
            r.group.name,
            r.group.city ?? r.group.country_name ?? "",
            r.group.status,
            r.group.url,
          ]),
        ),
      );
    if (res.groups.length === 0 && res.nearest) {
      const n = res.nearest;
      out.push(
        `Nearest group: ${n.group.name}, ${n.group.city ?? n.group.country_name}, ${formatKm(n.distanceKm)} (${n.group.status}).`,
      );
    }
    if (res.nearestAlive && !res.groups.some((r) => r.group.id === res.nearestAlive?.group.id)) {
      const n = res.nearestAlive;
      out.push(
        `Nearest alive group: ${n.group.name}, ${n.group.city ?? n.group.country_name}, ${formatKm(n.distanceKm)}.`,
      );
    }
    ctx.io.stdout(`${out.join("\n")}\n`);
    return 0;
  },
};
