import type { ProbeResult } from "../../src/liveness/probe-types.js";

const GENUINE_PAGE = `<!DOCTYPE html><html><head><title>PyExample — Python User Group</title></head>
<body><h1>PyExample</h1><p>We are the Python user group of Example City. We meet monthly for talks.</p></body></html>`;

/**
 * A ProbeResult for tests: a 200 with a genuine group page unless told otherwise. Giving an `error`
 * makes it a failed probe (no status, no body, no final URL) unless those are given too.
 */
export function probeResult(partial: Partial<ProbeResult> = {}): ProbeResult {
  const url = partial.url ?? "https://pyexample.org/";
  const failed = partial.error != null;
  const status = partial.status !== undefined ? partial.status : failed ? null : 200;
  const finalUrl = partial.finalUrl !== undefined ? partial.finalUrl : failed ? null : url;
  const contentType =
    partial.contentType !== undefined ? partial.contentType : failed ? null : "text/html; charset=utf-8";
  return {
    url,
    finalUrl,
    status,
    headers: contentType ? { "content-type": contentType } : {},
    hops:
      finalUrl && finalUrl !== url
        ? [
            { url, status: 301, location: finalUrl, ms: 5 },
            { url: finalUrl, status, location: null, ms: 5 },
          ]
        : [{ url, status, location: null, ms: 5 }],
    body: failed ? null : GENUINE_PAGE,
    truncated: false,
    contentType,
    error: null,
    attempts: 1,
    timings: { totalMs: 10, ttfbMs: failed ? null : 5 },
    ...partial,
  };
}

/** A small HTML page for tests. */
export function html(opts: { title?: string; body?: string; head?: string; bodyAttrs?: string }): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${opts.title ?? ""}</title>${opts.head ?? ""}</head><body ${opts.bodyAttrs ?? ""}>${opts.body ?? ""}</body></html>`;
}
