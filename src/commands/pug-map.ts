import { type APIEmbed, ApplicationCommandOptionType } from "discord-api-types/v10";
import type { GroupRow, Status } from "../db/schema.js";
import { allCountries, CONTINENTS } from "../geo/countries.js";
import { foldWords } from "../geo/normalize.js";
import { mapRequest } from "../jobs/map-request.js";
import { DEFAULT_RADIUS_KM } from "../jobs/near.js";
import { STATUS_EMOJI, STATUSES } from "../liveness/status.js";
import { STATUS_CSS } from "../present/map/colors.js";
import { clampEmbed, DISCORD_LIMITS } from "../text/discord-limits.js";
import { clip, safeText } from "../text/toolkit.js";
import { type SubcommandData, showOption } from "./define.js";
import { type Choice, type CommandDeps, type Reply, type Responder, UserError } from "./types.js";

export const mapSubcommand = {
  type: ApplicationCommandOptionType.Subcommand,
  name: "map",
  description: "The groups on a map, coloured by status: the world, a region, or around a place",
  options: [
    {
      type: ApplicationCommandOptionType.String,
      name: "place",
      description: "Around this place, e.g. Katowice (leave empty for the world or a region)",
      autocomplete: true,
      max_length: 100,
    },
    {
      type: ApplicationCommandOptionType.Integer,
      name: "radius_km",
      description: `With place: the radius in km (default ${DEFAULT_RADIUS_KM})`,
      min_value: 1,
      max_value: 2000,
    },
    {
      type: ApplicationCommandOptionType.String,
      name: "region",
      description: "A continent or a country, e.g. Europe or Poland",
      autocomplete: true,
      max_length: 60,
    },
    showOption("Which groups to draw (default: all)"),
  ],
} as const satisfies SubcommandData;

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
          "marker-color": STATUS_CSS[g.status],
        },
      })),
  };
}

const countBy = (groups: { status: Status }[]) => {
  const n: Record<Status, number> = { alive: 0, dormant: 0, dead: 0, unknown: 0 };
  for (const g of groups) n[g.status]++;
  return n;
};

/**
 * `/pug map`: the picture (map.png, shown in the embed) and the same groups as GeoJSON for people who
 * want to pan and zoom. A place or region Poick can't read is answered before anything is drawn.
 */
export async function answerMap(
  deps: CommandDeps,
  a: { place: string | null; radius_km: number | null; region: string | null; show: string | null },
  res: Responder,
): Promise<void> {
  if (a.place && a.region) throw new UserError("Choose a place or a region, not both.");
  const req = await mapRequest(deps.db, {
    place: a.place,
    region: a.region,
    radiusKm: a.radius_km,
    now: deps.clock.now(),
  });
  if (req.kind !== "map") return res.reply({ ephemeral: true, content: safeText(req.message) });
  const alive = a.show === "alive";
  const inArea = alive ? req.inArea.filter((g) => g.status === "alive") : req.inArea;
  if (req.groups.length === 0)
    return res.reply({
      ephemeral: true,
      content: "There are no groups to map yet. An admin can run `/pug-admin sync`.",
    });
  await res.defer(false);
  let png: Buffer | null = null;
  try {
    const shown = alive ? req.groups.filter((g) => g.status === "alive") : req.groups;
    png = (await deps.pictures.map(shown, req.view, { title: req.title, subtitle: req.subtitle })).png;
  } catch (err) {
    deps.logger.warn({ err }, "could not draw the map");
  }
  const n = countBy(inArea);
  const unplaced = inArea.filter((g) => g.lat === null || g.lon === null).length;
  const lines = [
    inArea.length === 0
      ? `No ${alive ? "alive " : ""}group here yet.`
      : STATUSES.filter((s) => n[s] > 0)
          .map((s) => `${STATUS_EMOJI[s]} ${n[s]} ${s}`)
          .join(" · "),
  ];
  if (unplaced > 0)
    lines.push(
      `${unplaced} of them ${unplaced === 1 ? "has" : "have"} no known place and ${unplaced === 1 ? "isn't" : "aren't"} drawn.`,
    );
  if (!png) lines.push("The picture couldn't be drawn just now; try again in a minute.");
  lines.push("The .geojson file opens in https://geojson.io, uMap or QGIS to zoom in and click the groups.");
  const embed: APIEmbed = clampEmbed({
    title: clip(req.title, DISCORD_LIMITS.title),
    description: lines.join("\n"),
    color: 0x3776ab,
    ...(png && { image: { url: "attachment://map.png" } }),
    footer: { text: `${req.subtitle} · 🟢 alive 🟡 dormant 🔴 dead ⚪ unknown` },
  });
  const geojson = {
    name: "python-user-groups.geojson",
    data: Buffer.from(JSON.stringify(groupsGeoJson(inArea))),
  };
  const reply: Reply = {
    embeds: [embed],
    files: png ? [{ name: "map.png", data: png }, geojson] : [geojson],
  };
  return res.edit(reply);
}

/** Continents and countries whose name starts with (or contains) what was typed. */
export function autocompleteRegion(value: string): Choice[] {
  const fold = (s: string) => foldWords(s).join(" ");
  const q = fold(value);
  const names = [...CONTINENTS, ...allCountries().map((c) => c.name)];
  const starts = names.filter((n) => fold(n).startsWith(q));
  const contains = names.filter((n) => !starts.includes(n) && fold(n).includes(q));
  return [...starts, ...contains]
    .slice(0, DISCORD_LIMITS.choices)
    .map((n) => ({ name: clip(n, DISCORD_LIMITS.choiceName), value: clip(n, DISCORD_LIMITS.choiceValue) }));
}
