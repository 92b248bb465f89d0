import { ApplicationCommandOptionType } from "discord-api-types/v10";
import { listActiveGroups } from "../db/groups.js";
import type { GroupRow, Status } from "../db/schema.js";
import { percent } from "../text/toolkit.js";
import { type SubcommandData, showOption } from "./define.js";
import type { CommandDeps, Reply } from "./types.js";

export const mapSubcommand = {
  type: ApplicationCommandOptionType.Subcommand,
  name: "map",
  description: "All groups as a map file (GeoJSON), coloured by status",
  options: [showOption("Which groups to include (default: all)")],
} as const satisfies SubcommandData;

const COLOR: Record<Status, string> = {
  alive: "#2ecc71",
  dormant: "#f1c40f",
  dead: "#e74c3c",
  unknown: "#95a5a6",
};

/** A GeoJSON FeatureCollection (simplestyle colours) that geojson.io, uMap or QGIS open as a map. */
export function groupsGeoJson(groups: GroupRow[]) {
  return {
    type: "FeatureCollection",
    features: groups
      .filter((g) => g.lat !== null && g.lon !== null)
      .map((g) => ({
        type: "Feature",
        geometry: { type: "Point", coordinates: [g.lon, g.lat] },
        properties: {
          id: g.id,
          name: g.name,
          url: g.url,
          city: g.city,
          country: g.country_name,
          status: g.status,
          reason: g.reason,
          "marker-color": COLOR[g.status],
        },
      })),
  };
}

export async function executeMap(deps: CommandDeps, show: string | null): Promise<Reply> {
  const all = await listActiveGroups(deps.db);
  const groups = show === "alive" ? all.filter((g) => g.status === "alive") : all;
  if (groups.length === 0) {
    return {
      ephemeral: true,
      content: "There are no groups to map yet. An admin can run `/pug-admin sync`.",
    };
  }
  const placed = groups.filter((g) => g.lat !== null).length;
  const alive = all.filter((g) => g.status === "alive").length;
  return {
    content:
      `Here are ${placed} groups on a map (${alive} of ${all.length} alive, ${percent(alive, all.length)}). ` +
      "Open the file at https://geojson.io or in uMap: green is alive, yellow dormant, red dead, grey unknown.",
    files: [{ name: "python-user-groups.geojson", data: Buffer.from(JSON.stringify(groupsGeoJson(groups))) }],
  };
}
