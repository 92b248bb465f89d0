import { foldWords } from "../geo/normalize.js";

/** Folded words of a query: "Kraków " -> "krakow"; punctuation can't reach LIKE as a wildcard. */
export const searchText = (s: string): string => foldWords(s).join(" ");

/**
 * Folded places already seen: a sync of 100,000 groups folds the same few hundred country names (and many
 * city names) over and over. Small and cleared when full: the countries come back at once.
 */
const foldedPlaces = new Map<string, string>();
const MAX_FOLDED_PLACES = 5_000;

function placeText(s: string): string {
  let folded = foldedPlaces.get(s);
  if (folded === undefined) {
    if (foldedPlaces.size >= MAX_FOLDED_PLACES) foldedPlaces.clear();
    folded = searchText(s);
    foldedPlaces.set(s, folded);
  }
  return folded;
}

/** What group search matches against: name, city and country, folded. */
export function groupSearchKey(g: {
  name: string;
  city?: string | null;
  country_name?: string | null;
}): string {
  return `${searchText(g.name)} | ${placeText(g.city ?? "")} | ${placeText(g.country_name ?? "")}`;
}
