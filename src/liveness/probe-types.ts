/** What one HTTP probe of a group's address found. Shared by the prober and the classifier. */
export type ProbeErrorCode =
  | "dns_nxdomain"
  | "dns_error"
  | "refused"
  | "reset"
  | "timeout"
  | "tls"
  | "forbidden_address"
  | "redirect_loop"
  | "too_many_redirects"
  | "bad_url"
  | "proxy"
  | "other";

export interface ProbeHop {
  url: string;
  status: number | null;
  location: string | null;
  ms: number;
}

export interface ProbeResult {
  url: string;
  finalUrl: string | null;
  status: number | null;
  headers: Record<string, string>;
  hops: ProbeHop[];
  body: string | null;
  truncated: boolean;
  contentType: string | null;
  error: null | { code: ProbeErrorCode; message: string };
  attempts: number;
  timings: { totalMs: number; ttfbMs: number | null };
  retryAfterSec?: number;
}
