/** One group as a listing page shows it, before geocoding. */
export interface ListedGroup {
  name: string;
  /** The link exactly as the page lists it; wiki-internal links as absolute https://wiki.python.org/moin/Page URLs. */
  url: string;
  continent: string | null;
  country: string | null;
  /** State or province, from an h4 heading or a "City, ST" prefix. */
  region: string | null;
  city: string | null;
  description: string | null;
}
