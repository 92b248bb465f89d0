import {
  continentOf,
  countryCode,
  countryInfo,
  countryName,
  regionCode,
  regionInfo,
  regionsNamed,
} from "./countries.js";
import { placeKey, placePrefixKey } from "./normalize.js";
import { findSubdivision } from "./subdivisions.js";

export interface CityCandidate {
  id: number;
  name: string;
  country: string;
  adminCode: string | null;
  population: number;
  lat: number;
  lon: number;
}

/** Where cities come from: the SQLite gazetteer in the app, anything with the same answers in tests. */
export interface CityLookup {
  /** Cities whose name or alternate name has exactly this key, biggest first. */
  byKey(key: string, country?: string): Promise<CityCandidate[]>;
  /** Cities whose name or alternate name starts with this key, biggest first. */
  byPrefix(prefix: string, limit: number): Promise<CityCandidate[]>;
  /** The seat (or else the biggest place) of a first-level region, by GeoNames admin1 code. */
  regionCapital?(country: string, adminCode: string): Promise<CityCandidate | null>;
}

export interface GeoFix {
  lat: number | null;
  lon: number | null;
  /** 0..1: 1 = the named city found in the right country (and region); 0.2 = country capital. */
  confidence: number;
  level: "city" | "region" | "country" | "none";
  countryCode: string | null;
  matchedName: string | null;
  /** How to show the place: "Kraków", "Silesia (Katowice)", "Alabama", or the country for a fallback. */
  placeLabel?: string | null;
  /** The city came from the listing's prose or the group's name, not from its city text. */
  fromHint?: boolean;
  /** People living in the matched city, when a city matched */
  population?: number;
}

export interface Place {
  id: number;
  name: string;
  country: string;
  countryName: string;
  /** Human region name when known, e.g. "Maine" */
  region: string | null;
  lat: number;
  lon: number;
  population: number;
  /** "Portland, Maine, US" */
  label: string;
}

export type PlaceQueryResult =
  | { kind: "found"; place: Place; alternatives: Place[] }
  | { kind: "ambiguous"; suggestions: Place[] }
  | { kind: "not_found"; suggestions: Place[] };

/** Where a listed group is, as the listing's headings and entry say. */
export interface GroupWhere {
  city: string | null;
  region: string | null;
  country: string | null;
  continent: string | null;
  /** More phrases from the listing that may name the city or region, surest first (read only when needed). */
  placeHints?: readonly string[];
}

const MAX_QUERY_LENGTH = 100;
const MAX_LABEL_LENGTH = 100;
const MAX_LISTED = 10;
/** The biggest place wins outright when it has this many times the people of the next one. */
const CLEAR_WINNER_RATIO = 5;
const SIMILAR_POOL = 80;

const NO_FIX: GeoFix = {
  lat: null,
  lon: null,
  confidence: 0,
  level: "none",
  countryCode: null,
  matchedName: null,
};

// ---------------------------------------------------------------------------------------------------------
// Shared helpers

const byPopulation = (a: CityCandidate, b: CityCandidate): number =>
  b.population - a.population || a.id - b.id;

function isClearWinner(sorted: CityCandidate[]): boolean {
  const [first, second] = sorted;
  if (!first) return false;
  return !second || first.population >= CLEAR_WINNER_RATIO * second.population;
}

/** Optimal-string-alignment distance (edits, with adjacent swaps as one), giving up above `max`. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, prevPrev[j - 2]! + 1);
      cur.push(d);
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    prevPrev = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

// Candidate names come back from the lookup without their keys; the same big places recur in most fuzzy searches.
const nameKeys = new Map<string, string>();
function nameKey(name: string): string {
  let key = nameKeys.get(name);
  if (key === undefined) {
    if (nameKeys.size >= 50_000) nameKeys.clear();
    key = placeKey(name);
    nameKeys.set(name, key);
  }
  return key;
}

const allowedEdits = (key: string): number => (key.length <= 4 ? 1 : key.length <= 9 ? 2 : 3);

/**
 * Places spelled like `key`: places sharing its first three letters, kept when they are a few edits away or
 * start with it, closest spelling first, then biggest. Only when none is within one edit does it widen to the
 * big places sharing the first letter (or the first two swapped), for errors near the start.
 */
async function similarCandidates(
  lookup: CityLookup,
  key: string,
  accept: (c: CityCandidate) => boolean = () => true,
): Promise<CityCandidate[]> {
  const max = allowedEdits(key);
  const scored = new Map<number, { c: CityCandidate; score: number }>();
  const search = async (prefix: string, limit: number) => {
    for (const c of await lookup.byPrefix(prefix, limit)) {
      if (scored.has(c.id) || !accept(c)) continue;
      const candidateKey = nameKey(c.name);
      const score = candidateKey.startsWith(key) ? 0.5 : editDistance(key, candidateKey, max);
      if (score <= max) scored.set(c.id, { c, score });
    }
  };
  await search(key.slice(0, 3), SIMILAR_POOL);
  if (![...scored.values()].some((s) => s.score <= 1)) {
    if (key.length > 1) await search(key.slice(0, 1), SIMILAR_POOL / 2);
    if (key.length >= 2) await search(`${key[1]}${key[0]}`, SIMILAR_POOL / 2);
  }
  return [...scored.values()].sort((x, y) => x.score - y.score || byPopulation(x.c, y.c)).map((s) => s.c);
}

export function toPlace(c: CityCandidate): Place {
  const region = regionInfo(c.country, c.adminCode)?.name ?? null;
  const label = [c.name, region, c.country].filter(Boolean).join(", ");
  return {
    id: c.id,
    name: c.name,
    country: c.country,
    countryName: countryName(c.country),
    region,
    lat: c.lat,
    lon: c.lon,
    population: c.population,
    label: label.length > MAX_LABEL_LENGTH ? `${label.slice(0, MAX_LABEL_LENGTH - 1)}…` : label,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Locating listed groups

interface CityText {
  text: string;
  regionHint: string | null;
  /** a part of what the listing wrote, e.g. "Dallas" from "Dallas / Fort Worth" */
  partial: boolean;
}

/** Readings of a listing's city text: as written, without "(notes)" or ", ST", then each of "A / B & C". */
function cityReadings(city: string): CityText[] {
  const readings: CityText[] = [{ text: city, regionHint: null, partial: false }];
  const paren = /^([^(]+)\(([^)]*)\)/.exec(city);
  if (paren?.[1] && paren[2]) readings.push({ text: paren[1], regionHint: paren[2], partial: false });
  const comma = city.indexOf(",");
  if (comma > 0)
    readings.push({ text: city.slice(0, comma), regionHint: city.slice(comma + 1), partial: false });
  const parts = city.split(/\s*(?:\/|&|\band\b|,|\+)\s*/i).filter((p) => p.trim().length > 0);
  if (parts.length > 1) for (const p of parts) readings.push({ text: p, regionHint: null, partial: true });
  return readings;
}

function cityFix(c: CityCandidate, confidence: number): GeoFix {
  return {
    lat: c.lat,
    lon: c.lon,
    confidence: Math.round(confidence * 100) / 100,
    level: "city",
    countryCode: c.country,
    matchedName: c.name,
    population: c.population,
  };
}

function readingRegion(reading: CityText, country: string, adminCode: string | null): string | null {
  return (reading.regionHint ? regionCode(country, reading.regionHint) : null) ?? adminCode;
}

/** One reading to look up: its folded name, the country, and the region it must lie in (when known). */
interface CityQuery {
  reading: CityText;
  key: string;
  country: string;
  admin: string | null;
}

function cityQuery(reading: CityText, country: string, adminCode: string | null): CityQuery | null {
  const key = placeKey(reading.text);
  return key ? { reading, key, country, admin: readingRegion(reading, country, adminCode) } : null;
}

/** The biggest city named exactly as one reading says, within a country and (when known) region. */
async function exactCity(lookup: CityLookup, q: CityQuery | null): Promise<GeoFix | null> {
  if (!q) return null;
  const { reading, key, country, admin } = q;
  const scale = reading.partial ? 0.9 : 1;
  const exact = (await lookup.byKey(key, country)).sort(byPopulation);
  if (!exact[0]) return null;
  if (admin) {
    const inRegion = exact.find((c) => c.adminCode === admin);
    return inRegion ? cityFix(inRegion, scale) : cityFix(exact[0], 0.6 * scale);
  }
  return cityFix(exact[0], (isClearWinner(exact) ? 1 : 0.8) * scale);
}

/** A city whose name starts with the reading ("Frankfurt" → "Frankfurt am Main") or is spelled alike. */
async function nearCity(lookup: CityLookup, q: CityQuery | null): Promise<GeoFix | null> {
  if (!q) return null;
  const { key, country, admin } = q;
  const inPlace = (c: CityCandidate) => c.country === country && (!admin || c.adminCode === admin);
  const longer = (await lookup.byPrefix(`${key} `, 50)).filter(inPlace).sort(byPopulation);
  if (longer[0]) return cityFix(longer[0], 0.6);
  const similar = await similarCandidates(lookup, key, inPlace);
  return similar[0] ? cityFix(similar[0], 0.5) : null;
}

async function cityAnywhere(
  lookup: CityLookup,
  city: string,
  continent: string | null,
): Promise<GeoFix | null> {
  const key = placeKey(city);
  if (!key) return null;
  const onContinent = (c: CityCandidate) =>
    !continent || continentOf(c.country)?.toLowerCase() === continent.trim().toLowerCase();
  const found = (await lookup.byKey(key)).filter(onContinent).sort(byPopulation);
  return found[0] ? cityFix(found[0], 0.5) : null;
}

/** The listing's city text as a place to look up: "- India (BarodaPUG wiki)", the country itself, names no city. */
function cityTextOf(g: GroupWhere): string | null {
  const cityText = g.city?.trim() || null;
  return cityText && countryCode(cityText) !== null && countryCode(cityText) === countryCode(g.country)
    ? null
    : cityText;
}

/** The keys locateGroup first looks up for a group, in any country: one per reading of its city text. */
export function cityKeysOf(g: GroupWhere): string[] {
  const city = cityTextOf(g);
  return city ? cityReadings(city).map((r) => placeKey(r.text)) : [];
}

/**
 * Coordinates for a group from the listing's continent / country / region / city headings. The city is looked up
 * in the heading's country and region (Portland, Maine vs Oregon); a city that cannot be found falls back to the
 * region's or country's main place with a low confidence.
 */
export async function locateGroup(lookup: CityLookup, g: GroupWhere): Promise<GeoFix> {
  // Read only when the headings and the city text are not enough: a listing may find its hints on demand.
  let hintList: string[] | undefined;
  const hints = () => {
    hintList ??= (g.placeHints ?? []).filter((h) => h.trim().length > 0);
    return hintList;
  };
  const country =
    countryCode(g.country) ??
    (g.country
      ? null
      : (hints()
          .filter((h) => h.length > 3)
          .map((h) => countryCode(h))
          .find((c) => c !== null) ?? countryCode(g.region)));
  const city = cityTextOf(g);
  const labelled = (fix: GeoFix | null): GeoFix | null =>
    fix ? { ...fix, placeLabel: fix.placeLabel ?? fix.matchedName } : null;
  if (!country) {
    for (const text of [city, ...hints()]) {
      if (!text) continue;
      const fix = await cityAnywhere(lookup, text, g.continent);
      if (fix) return labelled(fix) as GeoFix;
    }
    return NO_FIX;
  }
  // "England" as a country heading is also the region.
  const adminCode = regionCode(country, g.region) ?? (g.region ? null : regionCode(country, g.country));
  const readings = city ? cityReadings(city) : [];
  for (const reading of readings) {
    const fix = await exactCity(lookup, cityQuery(reading, country, adminCode));
    if (fix) return labelled(fix) as GeoFix;
  }
  // A city the prose names: "Cracow's Python Users Group", "Python community in Warsaw", "PyCologne".
  for (const hint of hints()) {
    if (countryCode(hint) === country) continue;
    // "Rio Grande" out of "Rio Grande do Sul": a piece of a region's name is no city.
    if (city && city !== hint && city.includes(hint) && findSubdivision(country, city)) continue;
    // A region's name ("Southern California", "Iowa") is not the small town that shares it; Berlin is both.
    const regionLike = regionCode(country, hint) !== null || findSubdivision(country, hint) !== null;
    const pieces = [
      ...cityReadings(hint),
      ...hint
        .split(/\s*-\s*/)
        .slice(hint.includes("-") ? 0 : 1)
        .map((p) => ({ text: p, regionHint: null, partial: true })),
    ];
    for (const reading of pieces) {
      let fix = await exactCity(lookup, cityQuery(reading, country, adminCode));
      // Outside the heading's state (exactCity's low-confidence answer) only for a sizeable city
      // ("Fargo-Moorhead" under Minnesota), not for a namesake hamlet ("CoMO" → Como, Texas).
      if (fix && adminCode && fix.confidence <= 0.6 && (fix.population ?? 0) < 50_000) fix = null;
      if (fix && regionLike && (fix.population ?? 0) < 100_000) continue;
      if (fix)
        return labelled({ ...fix, confidence: Math.min(fix.confidence, 0.9), fromHint: true }) as GeoFix;
    }
  }
  // A region the prose names ("Silesia area", "Python Tirol"): its seat, at region confidence.
  const prose = await regionSeat(lookup, country, [city, ...hints()]);
  if (prose) return prose;
  for (const reading of readings.filter((r) => !r.partial)) {
    const fix = await nearCity(lookup, cityQuery(reading, country, adminCode));
    if (fix) return labelled(fix) as GeoFix;
  }
  // Only a region heading ("### Texas"): the region stands for its seat (Austin), shown as the region.
  const region = regionInfo(country, adminCode);
  const seat = adminCode && lookup.regionCapital ? await lookup.regionCapital(country, adminCode) : null;
  if (region) {
    return {
      lat: seat?.lat ?? region.lat,
      lon: seat?.lon ?? region.lon,
      confidence: 0.4,
      level: "region",
      countryCode: country,
      matchedName: region.name,
      placeLabel: seat ? `${region.name} (${seat.name})` : region.name,
    };
  }
  // A region heading the hand table doesn't know ("#### Bavaria"): its seat from the subdivision data.
  const heading = await regionSeat(lookup, country, [g.region]);
  if (heading) return heading;
  // Only the country is known: its capital stands in, shown as the country, never as a city.
  const info = countryInfo(country);
  if (!info) return { ...NO_FIX, countryCode: country };
  return {
    lat: info.lat,
    lon: info.lon,
    confidence: 0.2,
    level: "country",
    countryCode: country,
    matchedName: info.name,
    placeLabel: info.name,
  };
}

/** The seat of the first first-level region the texts name, from the subdivision data. */
async function regionSeat(
  lookup: CityLookup,
  country: string,
  texts: readonly (string | null)[],
): Promise<GeoFix | null> {
  if (!lookup.regionCapital) return null;
  for (const text of texts) {
    // "Python México": the country's own name is not its namesake state.
    if (!text || countryCode(text) === country) continue;
    const sub = findSubdivision(country, text);
    if (!sub) continue;
    const capital = await lookup.regionCapital(country, sub.adminCode);
    if (!capital) continue;
    const shown = text.replace(/\s+(area|region)$/i, "");
    return {
      lat: capital.lat,
      lon: capital.lon,
      confidence: 0.6,
      level: "region",
      countryCode: country,
      matchedName: capital.name,
      placeLabel: `${shown} (${capital.name})`,
    };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Resolving what a user typed

interface Qualifier {
  /** false when the text is neither a country nor a known region: it is then ignored */
  known: boolean;
  accepts(c: CityCandidate): boolean;
}

/** "France", "UK", "TX", "Maine", "Ontario": a country or any region the text may name. */
function qualifier(text: string): Qualifier {
  const country = countryCode(text);
  const regions = regionsNamed(text);
  return {
    known: country !== null || regions.length > 0,
    accepts: (c) =>
      c.country === country || regions.some((r) => r.country === c.country && r.adminCode === c.adminCode),
  };
}

const notFound = (suggestions: Place[] = []): PlaceQueryResult => ({ kind: "not_found", suggestions });

function decide(candidates: CityCandidate[]): PlaceQueryResult {
  const sorted = [...candidates].sort(byPopulation);
  if (isClearWinner(sorted)) {
    return {
      kind: "found",
      place: toPlace(sorted[0]!),
      alternatives: sorted.slice(1, 1 + MAX_LISTED).map(toPlace),
    };
  }
  return { kind: "ambiguous", suggestions: sorted.slice(0, MAX_LISTED).map(toPlace) };
}

interface Reading {
  key: string;
  qualifiers: Qualifier[];
}

/**
 * Ways to split typed text into a place and qualifiers: "Portland, Maine, US" (commas), "Washington, D.C."
 * (a comma inside the name), "Portland Maine" (no comma: trailing words that name a country or region).
 */
function readings(text: string): Reading[] {
  const parts = text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const out: Reading[] = [];
  for (let i = 1; i <= Math.min(parts.length, 3); i++) {
    const key = placeKey(parts.slice(0, i).join(" "));
    if (key) out.push({ key, qualifiers: parts.slice(i).map(qualifier) });
  }
  if (parts.length === 1 && out[0]) {
    const words = out[0].key.split(" ");
    for (let n = 1; n <= Math.min(3, words.length - 1); n++) {
      const q = qualifier(words.slice(-n).join(" "));
      if (q.known) out.push({ key: words.slice(0, -n).join(" "), qualifiers: [q] });
    }
  }
  return out;
}

/**
 * Finds the place a user typed ("Katowice", "Portland, OR", "paris france"). One clearly biggest match is
 * "found" (with the others as alternatives); similar-sized ones are "ambiguous"; no exact match gives
 * "not_found" with places spelled alike. Never throws on odd input.
 */
export async function resolvePlace(lookup: CityLookup, query: string): Promise<PlaceQueryResult> {
  const text = typeof query === "string" ? query.trim() : "";
  if (!text || text.length > MAX_QUERY_LENGTH) return notFound();
  const options = readings(text);
  const first = options[0];
  if (!first) return notFound();

  let namedElsewhere: CityCandidate[] = [];
  for (const { key, qualifiers } of options) {
    const candidates = await lookup.byKey(key);
    if (candidates.length === 0) continue;
    const known = qualifiers.filter((q) => q.known);
    const matching = candidates.filter((c) => known.every((q) => q.accepts(c)));
    if (matching.length > 0) return decide(matching);
    if (namedElsewhere.length === 0) namedElsewhere = candidates;
  }
  if (namedElsewhere.length > 0)
    return notFound([...namedElsewhere].sort(byPopulation).slice(0, MAX_LISTED).map(toPlace));

  const known = first.qualifiers.filter((q) => q.known);
  const similar = await similarCandidates(lookup, first.key);
  const preferred = [...similar.filter((c) => known.every((q) => q.accepts(c))), ...similar];
  return notFound(uniqueById(preferred).slice(0, MAX_LISTED).map(toPlace));
}

function uniqueById(cands: CityCandidate[]): CityCandidate[] {
  const seen = new Set<number>();
  return cands.filter((c) => {
    if (seen.has(c.id)) return false;
    seen.add(c.id);
    return true;
  });
}

/** Places starting with what the user has typed so far, biggest first, with distinct labels (autocomplete). */
export async function suggestPlaces(lookup: CityLookup, partial: string, limit = 25): Promise<Place[]> {
  const text = typeof partial === "string" ? partial.trim() : "";
  if (!text || text.length > MAX_QUERY_LENGTH || limit <= 0) return [];
  const comma = text.indexOf(",");
  const cityText = comma >= 0 ? text.slice(0, comma) : text;
  const rest = comma >= 0 ? text.slice(comma + 1).trim() : "";
  // "St" may be the start of "Stuttgart" or of "St. Louis" (key "saint louis"): ask for both.
  const prefixes = new Set([comma >= 0 ? placeKey(cityText) : placePrefixKey(cityText), placeKey(cityText)]);
  prefixes.delete("");
  if (prefixes.size === 0) return [];

  const pool = comma >= 0 ? Math.max(limit * 4, 100) : limit;
  const found = new Map<number, CityCandidate>();
  for (const prefix of prefixes) for (const c of await lookup.byPrefix(prefix, pool)) found.set(c.id, c);
  let cands = [...found.values()].sort(byPopulation);
  if (rest) {
    const q = qualifier(rest);
    const typed = placeKey(text);
    cands = cands.filter((c) => (q.known && q.accepts(c)) || placeKey(toPlace(c).label).startsWith(typed));
  }
  const places: Place[] = [];
  const labels = new Set<string>();
  for (const c of cands) {
    const place = toPlace(c);
    if (labels.has(place.label)) continue;
    labels.add(place.label);
    places.push(place);
    if (places.length >= limit) break;
  }
  return places;
}
