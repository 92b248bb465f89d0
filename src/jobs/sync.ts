import { type Clock, isoNow } from "../clock.js";
import type { Db } from "../db/connect.js";
import { ensureGazetteer } from "../db/gazetteer.js";
import {
  applySync,
  getSource,
  recentSyncCounts,
  type SyncApplied,
  type SyncChannel,
  type SyncUpsert,
} from "../db/groups.js";
import { cityKeysOf, type GeoFix, type GroupWhere, locateGroup } from "../geo/geocode.js";
import type { HttpClient } from "../http/client.js";
import { stripCredentials } from "../http/redirects.js";
import type { Logger } from "../logger.js";
import {
  type FetchListingResult,
  fetchListing,
  type ListingForm,
  readListingFile,
} from "../sources/fetch-source.js";
import { groupId, normalizeUrl } from "../sources/normalize-url.js";
import { readListing } from "../sources/read-listing.js";
import type { ListedGroup, ListingFormat, ListingReading, SkippedItem } from "../sources/types.js";
import { dbCityLookup, memoLookup, prefetchingLookup } from "./geo-lookup.js";

export const WIKI_SOURCE_ID = "wiki";

export interface SyncDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** The process's HTTP client (same guard, proxy and CA as scans); needed for a URL source. */
  http?: Pick<HttpClient, "get">;
  /** Largest listing read over the network (POICK_MAX_LISTING_BYTES); a local file has no cap. */
  maxListingBytes?: number;
  /** Queues alerts inside the sync transaction (wired by the alerts module). */
  afterWrite?: (trx: Db, result: SyncApplied, firstSync: boolean) => Promise<void>;
}

export interface SyncRequest {
  /** The wiki URL, another URL, or a local file path. */
  source: string;
  /** Ignore ETag / Last-Modified and refetch. */
  force?: boolean;
}

export type SyncOutcome =
  | ({
      kind: "synced";
      found: number;
      placed: number;
      previous: number;
      /** What the listing was read from, and where (the Markdown source, the page, or a file). */
      readFrom: ListingForm;
      readUrl: string;
      /** The listing's format, as read from its content */
      format: ListingFormat;
      /** List items that are not groups, and why (intro bullets, conferences, region-wide channels…) */
      skipped: SkippedItem[];
    } & SyncApplied)
  | { kind: "unchanged"; previous: number }
  | { kind: "refused"; found: number; previous: number; message: string }
  | { kind: "failed"; message: string };

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** What a sync keeps of a fresh listing: the reading, the page's text as UTF-8 for its snapshot, where it came from. */
interface FreshListing {
  reading: ListingReading;
  /** Bytes, not the JS string: a 9 MB page with one non-Latin-1 letter is an 18 MB string, held to the end. */
  text: Buffer;
  etag: string | null;
  lastModified: string | null;
  readFrom: ListingForm;
  readUrl: string;
}

/** Fetches (or reads) the listing and reads its groups; anything else is the sync's outcome already. */
async function freshListing(
  deps: SyncDeps,
  req: SyncRequest,
  prevSource: { url: string; etag: string | null; last_modified: string | null } | undefined,
  previous: number,
): Promise<FreshListing | SyncOutcome> {
  const sameUrl = prevSource?.url === req.source;
  let fetched: FetchListingResult;
  if (isUrl(req.source)) {
    if (!deps.http) return { kind: "failed", message: "No HTTP client was set up for fetching the listing." };
    fetched = await fetchListing(req.source, {
      http: deps.http,
      ...(deps.maxListingBytes !== undefined && { maxBytes: deps.maxListingBytes }),
      etag: !req.force && sameUrl ? prevSource?.etag : null,
      lastModified: !req.force && sameUrl ? prevSource?.last_modified : null,
    });
  } else {
    fetched = await readListingFile(req.source);
  }
  if (fetched.kind === "error") return { kind: "failed", message: fetched.message };
  if (fetched.kind === "unchanged") {
    deps.logger.info({ source: req.source }, "listing unchanged since last sync");
    return { kind: "unchanged", previous };
  }
  const { body, contentType } = fetched;

  let reading: ListingReading | null;
  try {
    reading = readListing({ body, contentType, url: fetched.url });
  } catch (err) {
    return { kind: "failed", message: `Could not read the listing: ${(err as Error).message}` };
  }
  if (!reading) {
    return {
      kind: "failed",
      message: `${req.source} is not a wiki page Poick can read (MyST Markdown, Sphinx or MoinMoin HTML, or MoinMoin markup).`,
    };
  }
  return {
    reading,
    text: Buffer.from(body, "utf8"),
    etag: isUrl(req.source) ? fetched.etag : null,
    lastModified: isUrl(req.source) ? fetched.lastModified : null,
    readFrom: fetched.readFrom,
    readUrl: fetched.readUrl,
  };
}

/** Refresh the group database from a listing. Refuses (and writes nothing) when the page looks broken. */
export async function syncGroups(deps: SyncDeps, req: SyncRequest): Promise<SyncOutcome> {
  const { db, logger } = deps;
  const prevSource = await getSource(db, WIKI_SOURCE_ID);
  const previous = prevSource?.last_group_count ?? 0;

  const fresh = await freshListing(deps, req, prevSource, previous);
  if ("kind" in fresh) return fresh;
  const { reading } = fresh;
  const listed = reading.groups;

  if (listed.length === 0) {
    return {
      kind: "refused",
      found: 0,
      previous,
      message:
        "The listing has no groups at all. The page may have changed layout or be behind a login. Nothing was changed.",
    };
  }
  // Against the largest of the recent syncs, not only the last: a page that loses 40% twice in a row
  // is refused the second time too.
  const baseline = Math.max(previous, ...(await recentSyncCounts(db, WIKI_SOURCE_ID)));
  if (baseline > 0 && listed.length < baseline / 2) {
    return {
      kind: "refused",
      found: listed.length,
      previous: baseline,
      message: `The listing shows only ${listed.length} groups where recent syncs found up to ${baseline}. The page looks truncated or broken, so nothing was changed. Run the sync again later, or check the page by hand.`,
    };
  }

  await ensureGazetteer(db);
  const { upserts, placed } = await placeGroups(db, listed);
  const now = isoNow(deps.clock);

  const applied = await applySync(
    db,
    {
      sourceId: WIKI_SOURCE_ID,
      sourceUrl: req.source,
      etag: fresh.etag,
      lastModified: fresh.lastModified,
      now,
      upserts,
      snapshot: { format: reading.format, body: fresh.text, skipped: reading.skipped },
    },
    deps.afterWrite,
  );
  logger.info(
    {
      source: req.source,
      found: upserts.length,
      added: applied.added.length,
      removed: applied.removed.length,
      rematched: applied.rematched,
      format: reading.format,
      skipped: reading.skipped.length,
    },
    "sync done",
  );
  return {
    kind: "synced",
    found: upserts.length,
    placed,
    previous,
    readFrom: fresh.readFrom,
    readUrl: fresh.readUrl,
    format: reading.format,
    skipped: reading.skipped,
    ...applied,
  };
}

/** Groups placed per gazetteer prefetch. */
const PLACE_WINDOW = 2_000;

/** Most groups list no other links: one empty list for all of them (an array each is 3 MB at 100,000). */
const NO_CHANNELS: readonly SyncChannel[] = Object.freeze([]);

/**
 * Each listed group placed on the map, as database rows. Look-ups are remembered for the whole listing, by the
 * headings and city text alone when those were enough (the place hints are then never read), else with the hints.
 * Takes the groups over: each is let go once it is a row, so the reading and the rows never all live at once.
 */
async function placeGroups(
  db: Db,
  listed: ListedGroup[],
): Promise<{ upserts: SyncUpsert[]; placed: number }> {
  const lookup = prefetchingLookup(db, memoLookup(dbCityLookup(db)));
  const fixes = new Map<string, GeoFix>();
  const hinted = new Set<string>();
  const upserts: SyncUpsert[] = [];
  const seen = new Set<string>();
  let placed = 0;
  const whereOf = (g: ListedGroup) => `${g.city}|${g.region}|${g.country}|${g.continent}`;
  listed.reverse();
  while (listed.length > 0) {
    // The next few thousand groups' cities fetched in one go: one round trip, not one per place.
    const window = listed.splice(Math.max(0, listed.length - PLACE_WINDOW)).reverse();
    await lookup.prefetch(window.flatMap((g) => (fixes.has(whereOf(g)) ? [] : cityKeysOf(g))));
    for (const g of window) {
      const row = await placeGroup(g);
      if (row) upserts.push(row);
    }
  }
  return { upserts, placed };

  async function placeGroup(g: ListedGroup): Promise<SyncUpsert | null> {
    const url = stripCredentials(g.url);
    const normalized = normalizeUrl(url);
    if (seen.has(normalized)) return null;
    seen.add(normalized);
    const where = whereOf(g);
    const withHints = (h: ListedGroup) => `${where}|${(h.placeHints ?? []).join("/")}`;
    let fix = fixes.get(hinted.has(where) ? withHints(g) : where);
    if (!fix) {
      const asking = new WhereAsked(g);
      fix = await locateGroup(lookup, asking);
      if (asking.asked) hinted.add(where);
      fixes.set(asking.asked ? withHints(g) : where, fix);
    }
    if (fix.level === "city") placed++;
    return {
      id: groupId(g.name, normalized),
      name: g.name,
      url,
      normalized_url: normalized,
      description: g.description,
      continent: g.continent,
      country_code: fix.countryCode,
      country_name: g.country,
      region: g.region,
      // What every presenter shows as the place: the city, "Silesia (Katowice)" for a region, and nothing
      // (so the country shows) when only the country's capital stands in.
      city:
        fix.level === "city"
          ? fix.fromHint || !g.city
            ? fix.matchedName
            : g.city
          : fix.level === "region"
            ? (fix.placeLabel ?? g.city)
            : fix.level === "none"
              ? g.city
              : null,
      place_label: fix.placeLabel ?? null,
      source_lines: g.lines ? JSON.stringify(g.lines) : null,
      channels: g.channels?.length
        ? g.channels.map((c) => ({
            kind: c.kind,
            url: c.url,
            label: c.label,
            normalized_url: normalizeUrl(c.url),
          }))
        : NO_CHANNELS,
      lat: fix.lat,
      lon: fix.lon,
      geo_confidence: fix.confidence,
      geo_level: fix.level,
    };
  }
}

/** Where a listed group is, for the geocoder, noting whether it read the place hints. */
class WhereAsked implements GroupWhere {
  asked = false;
  readonly city: string | null;
  readonly region: string | null;
  readonly country: string | null;
  readonly continent: string | null;

  constructor(private readonly group: ListedGroup) {
    this.city = group.city;
    this.region = group.region;
    this.country = group.country;
    this.continent = group.continent;
  }

  get placeHints(): readonly string[] | undefined {
    this.asked = true;
    return this.group.placeHints;
  }
}
