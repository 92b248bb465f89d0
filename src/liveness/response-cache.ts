import type { ProbeRequestOptions, Prober } from "./probe.js";
import type { ProbeResult } from "./probe-types.js";

/** Hosts whose paths are case-insensitive (meetup.com/PyKonik is meetup.com/pykonik). */
const CASE_INSENSITIVE_PATHS = /(^|\.)meetup\.com$/;

/**
 * The key two requests share when they would fetch the same thing: scheme, host and port as the
 * URL parser writes them, no fragment, and on Meetup a lower-case path without a trailing slash.
 */
export function responseKey(url: string, accept = ""): string {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return `${accept} ${url.trim()}`;
  }
  u.hash = "";
  u.username = "";
  u.password = "";
  if (CASE_INSENSITIVE_PATHS.test(u.hostname))
    u.pathname = u.pathname.toLowerCase().replace(/\/+$/, "") || "/";
  return `${accept} ${u.href}`;
}

/** An answer worth keeping for the rest of the scan: not one we will ask again for (429, timeout). */
function keepable(r: ProbeResult): boolean {
  if (r.status === 429) return false;
  return !(r.error && ["timeout", "proxy", "reset", "dns_error", "other"].includes(r.error.code));
}

export interface CachingProber extends Prober {
  /** Probes answered from the cache (or joined to one in flight) instead of the network. */
  readonly hits: number;
  /** Probes that went to the network. */
  readonly misses: number;
}

export interface CacheLimits {
  /** Answers kept at most (default 5,000)… */
  maxEntries?: number;
  /** …and at most this many characters of their bodies (default 64 Mi): the oldest unused go first. */
  maxBodyChars?: number;
}

/** What an answer costs to keep, besides its body. */
const ENTRY_OVERHEAD = 512;

/**
 * One scan's memory of what it fetched: the same URL is never fetched twice in one scan (a wiki
 * page listed twice, groups sharing a page, a renamed Meetup group whose old address redirects to
 * the new one). Concurrent asks for one URL share the request in flight. Answers that will be asked
 * for again on purpose (a 429, a timeout) are not kept. Lives for one scan only, and keeps the most
 * recently used answers within `limits`, so a scan of 100,000 groups does not hold 100,000 pages.
 */
export function cachingProber(inner: Prober, limits: CacheLimits = {}): CachingProber {
  const maxEntries = limits.maxEntries ?? 5_000;
  const maxChars = limits.maxBodyChars ?? 64 * 1_048_576;
  // Oldest first (a Map keeps insertion order; a hit moves its entry to the end).
  const entries = new Map<string, { answer: Promise<ProbeResult>; size: number }>();
  let chars = 0;
  let hits = 0;
  let misses = 0;
  const forget = (key: string) => {
    const e = entries.get(key);
    if (!e) return;
    chars -= e.size;
    entries.delete(key);
  };
  const keep = (key: string, answer: Promise<ProbeResult>, size: number) => {
    forget(key);
    if (size > maxChars) return; // would push out everything else
    entries.set(key, { answer, size });
    chars += size;
    for (const oldest of entries.keys()) {
      if (entries.size <= maxEntries && chars <= maxChars) break;
      forget(oldest);
    }
  };
  return {
    get hits() {
      return hits;
    },
    get misses() {
      return misses;
    },
    probe(url: string, opts: ProbeRequestOptions = {}) {
      const key = responseKey(url, opts.accept);
      const known = entries.get(key);
      if (known) {
        hits++;
        entries.delete(key);
        entries.set(key, known);
        return known.answer.then((r) => (r.url === url ? r : { ...r, url }));
      }
      misses++;
      const pending = inner.probe(url, opts).then((r) => {
        const mine = entries.get(key)?.answer === pending;
        if (!keepable(r)) {
          if (mine) forget(key);
        } else {
          if (mine) keep(key, pending, ENTRY_OVERHEAD + (r.body?.length ?? 0));
          if (r.finalUrl && r.finalUrl !== r.url && r.status !== null && r.hops.length > 0) {
            // A later group listing the address this one ended on gets its page without a request.
            const finalKey = responseKey(r.finalUrl, opts.accept);
            const last = r.hops[r.hops.length - 1];
            // The same body as the answer above: only the entry itself costs more.
            if (!entries.has(finalKey) && last && last.location === null)
              keep(finalKey, Promise.resolve({ ...r, url: r.finalUrl, hops: [last] }), ENTRY_OVERHEAD);
          }
        }
        return r;
      });
      keep(key, pending, ENTRY_OVERHEAD);
      return pending;
    },
  };
}
