import { placeKey } from "./normalize.js";
import { SUBDIVISIONS } from "./subdivisions-data.js";

/** A country's first-level subdivision (state, province, voivodeship, Land…) with its GeoNames admin1 code. */
export interface Subdivision {
  country: string;
  adminCode: string;
  /** English name, e.g. "Silesian Voivodeship" */
  name: string;
}

/** Words that say what kind of subdivision a name is, in the languages of the data; never part of the name. */
const KIND_WORDS = new Set(
  `voivodeship voivodship woiwodschaft voivodie voivodato voivodia province provincia provinz region regione
   regiao state estado stato land bundesland county comte contea oblast krai kraj governorate prefecture
   department departement departamento dipartimento canton kanton district distrito autonomous community
   comunidad autonoma comunita autonoma area gebiet metropolitan greater of de della del di des du la le el da do
   the`
    .split(/\s+/)
    .filter(Boolean),
);

interface Entry {
  sub: Subdivision;
  /** Keys of its names, with and without the kind words */
  keys: string[];
}

const byCountry = new Map<string, Entry[]>();

function coreKey(name: string): string {
  return placeKey(name)
    .split(" ")
    .filter((w) => !KIND_WORDS.has(w))
    .join(" ");
}

function entries(country: string): Entry[] {
  const cc = country.toUpperCase();
  const cached = byCountry.get(cc);
  if (cached) return cached;
  const list: Entry[] = [];
  for (const row of (SUBDIVISIONS[cc] ?? "").split(";")) {
    const [adminCode, ...names] = row.split("|");
    if (!adminCode || names.length === 0) continue;
    const keys = new Set<string>();
    for (const n of names) {
      keys.add(placeKey(n));
      const core = coreKey(n);
      if (core) keys.add(core);
    }
    list.push({ sub: { country: cc, adminCode, name: names[0] as string }, keys: [...keys] });
  }
  byCountry.set(cc, list);
  return list;
}

/**
 * The subdivision a phrase names in a country: "Silesia area" → Silesian Voivodeship, "Tirol" → Tyrol,
 * "Bavaria" → Bayern, "Catalonia" → Catalunya. Exact names first (in any of the data's languages), then
 * the adjective form English uses for many of them ("Silesia" / "Silesian").
 */
export function findSubdivision(country: string | null, phrase: string): Subdivision | null {
  if (!country) return null;
  const key = coreKey(phrase);
  if (key.length < 3) return null;
  const list = entries(country);
  const exact = list.find((e) => e.keys.includes(key));
  if (exact) return exact.sub;
  if (key.length < 5) return null;
  const adjective = list.find((e) =>
    e.keys.some((k) => k.startsWith(key) && k.length - key.length <= 2 && !k.slice(key.length).includes(" ")),
  );
  return adjective?.sub ?? null;
}

export function subdivisionByCode(country: string, adminCode: string): Subdivision | null {
  return entries(country).find((e) => e.sub.adminCode === adminCode)?.sub ?? null;
}
