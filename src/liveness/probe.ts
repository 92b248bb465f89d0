import type { GetOptions, HttpClient } from "../http/client.js";
import type { ProbeResult } from "./probe-types.js";

export type { ProbeErrorCode, ProbeHop, ProbeResult } from "./probe-types.js";

export interface ProbeRequestOptions {
  /** Accept header, e.g. `text/calendar` for a feed. */
  accept?: string;
  /** The group check's one deadline: the page, its redirects, retries and feeds all end with it. */
  signal?: AbortSignal;
  /**
   * Retry a timed-out request at once (default true); a scan retries the whole check later instead.
   * Either way a request with no answer half-way through its timeout is hedged (see the HTTP client).
   */
  retryTimeout?: boolean;
  /** Retry a 429 at once (default true); a scan slows the host and asks again later instead. */
  retryRateLimited?: boolean;
  /** Extra tries after network errors and 5xx (default: the client's). */
  retries?: number;
}

/** Looks at one address the way a browser would. The network is the HTTP client's; this only says how. */
export interface Prober {
  probe(url: string, opts?: ProbeRequestOptions): Promise<ProbeResult>;
}

/** A prober over the project's HTTP client: pages are judged where HTML stubs lead, bodies are capped. */
export function createProber(client: Pick<HttpClient, "get">): Prober {
  return {
    probe(url, opts = {}) {
      const req: GetOptions = { followHtmlRedirects: true };
      if (opts.accept) req.accept = opts.accept;
      if (opts.signal) req.signal = opts.signal;
      if (opts.retryTimeout === false) req.retryTimeout = false;
      if (opts.retryRateLimited === false) req.retryRateLimited = false;
      if (opts.retries !== undefined) req.retries = opts.retries;
      return client.get(url, req);
    },
  };
}

export type FetchTextResult =
  | { ok: true; text: string; finalUrl: string; contentType: string | null; truncated: boolean }
  | { ok: false; result: ProbeResult };

/** A secondary fetch (an iCal or RSS feed linked from a page): same guard, cap and politeness as a probe. */
export async function fetchText(
  prober: Pick<Prober, "probe">,
  url: string,
  accept = "text/calendar,application/rss+xml,application/atom+xml,application/xml;q=0.9,text/*;q=0.8,*/*;q=0.5",
  signal?: AbortSignal,
): Promise<FetchTextResult> {
  const result = await prober.probe(url, { accept, ...(signal && { signal }) });
  const ok = result.error === null && result.status !== null && result.status >= 200 && result.status < 300;
  if (!ok || result.body === null || result.finalUrl === null) return { ok: false, result };
  return {
    ok: true,
    text: result.body,
    finalUrl: result.finalUrl,
    contentType: result.contentType,
    truncated: result.truncated,
  };
}
