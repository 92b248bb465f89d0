import { foldWords } from "../geo/normalize.js";

/** Folded words of a query: "Kraków " -> "krakow"; punctuation can't reach LIKE as a wildcard. */
export const searchText = (s: string): string => foldWords(s).join(" ");

/** What group search matches against: name, city and country, folded. */
export function groupSearchKey(g: {
  name: string;
  city?: string | null;
  country_name?: string | null;
}): string {
  return [g.name, g.city ?? "", g.country_name ?? ""].map(searchText).join(" | ");
}
