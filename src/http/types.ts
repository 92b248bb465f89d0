/** What one GET through the HTTP client found: the probe's result and the listing fetch's alike. */
export type HttpErrorCode =
  | "dns_nxdomain"
  | "dns_error"
  | "refused"
  | "reset"
  | "timeout"
  | "tls"
  /** The server sends its certificate without the intermediate; browsers fetch it and open the page. */
  | "tls_chain"
  | "forbidden_address"
  | "redirect_loop"
  | "too_many_redirects"
  /** The redirects go round because we keep no cookies (a consent or cookie check), seen over all hops. */
  | "cookie_loop"
  /** A custom address ends on a Facebook, LinkedIn, Google or Meetup login page. */
  | "login_wall"
  /** 503 with Retry-After or a CDN's 520–524 held through the retries: the server says "later". */
  | "transient"
  | "bad_url"
  /** Our own proxy failed (unreachable, 407, or its 502/504): never the site's fault. */
  | "proxy"
  /** More than two stacked content-encodings: refused as a decompression trap. */
  | "hostile_encoding"
  /** The body is larger than the caller allows (only when the caller asks to refuse, not truncate). */
  | "too_large"
  | "other";

export interface HttpError {
  code: HttpErrorCode;
  message: string;
}

export interface HttpHop {
  url: string;
  status: number | null;
  location: string | null;
  ms: number;
  /** Set when an HTML stub (not an HTTP redirect) sent us on: a meta refresh or a location script. */
  via?: "meta-refresh" | "script";
  /** The hop's answer set a cookie (a cookie loop is judged over all hops, not only the last). */
  setCookie?: boolean;
}

export interface HttpResult {
  /** The address asked for, without any `user:pass@`. */
  url: string;
  finalUrl: string | null;
  status: number | null;
  headers: Record<string, string>;
  hops: HttpHop[];
  body: string | null;
  truncated: boolean;
  contentType: string | null;
  error: null | HttpError;
  attempts: number;
  /**
   * A request got no answer half-way through its headers timeout, so the same request went out
   * again beside it (counted in `attempts`): that was its one retry for a timeout.
   */
  hedged?: boolean;
  timings: { totalMs: number; ttfbMs: number | null };
  retryAfterSec?: number;
}
