import { performance } from "node:perf_hooks";
import { Agent, type Dispatcher, ProxyAgent, request } from "undici";
import type { Clock } from "../clock.js";
import { decodersFor, discard, readCapped } from "./body.js";
import { decodeText, mediaType } from "./charset.js";
import { classifyError, DeadlineError, errorText } from "./errors.js";
import { type Cidr, checkUrlHost, guardedLookup, type LookupFn, systemLookup } from "./guard.js";
import { findHtmlRedirect } from "./html-redirect.js";
import { type HostLimiter, retryAfterMs } from "./limiter.js";
import { bypassesProxy, type ProxySettings } from "./proxy.js";
import { endsOnLoginWall, followLocation, isCookieLoop, isHttp, stripCredentials } from "./redirects.js";
import { whenSent } from "./sent.js";
import type { HttpError, HttpErrorCode, HttpResult } from "./types.js";

/**
 * The project's one HTTP client. Everything Poick fetches (group sites, their feeds, the wiki
 * listing) goes through here, so the address guard, proxy, trusted roots, redirect handling, size
 * caps and timeouts are the same for all of them.
 */

/** What the direct (non-proxy) dispatcher must use to connect; handed to `dispatcherFactory`. */
export interface DirectConnectOptions {
  lookup: LookupFn;
  ca?: string | string[];
  timeout: number;
}

export interface HttpClientOptions {
  userAgent: string;
  allowNets: readonly Cidr[];
  /** DNS for both the pre-check and connecting; tests route names to loopback with it. */
  lookup?: LookupFn;
  proxy?: ProxySettings;
  /**
   * Trusted roots, replacing Node's (tests pass their own CA). Leave unset in production so
   * Node's bundled roots plus NODE_EXTRA_CA_CERTS apply.
   */
  ca?: string | string[];
  /** DNS pre-check and TCP/TLS connect (to the site or to our proxy). Default 10 s. */
  connectTimeoutMs?: number;
  /** From the request sent to the answer's headers. */
  headersTimeoutMs: number;
  /** Reading the whole body; defaults to `headersTimeoutMs`. */
  bodyTimeoutMs?: number;
  /** Decoded (decompressed) body bytes kept; the rest is never read. Overridable per request. */
  maxBodyBytes: number;
  /** HTTP redirects followed (default 10). */
  maxRedirects?: number;
  /** HTML redirect stubs followed (default 3). */
  maxHtmlRedirects?: number;
  /** Extra tries after network errors, 5xx and 429. */
  retries?: number;
  /** Waits before each retry; the last value repeats. */
  backoffMs?: readonly number[];
  /** Longest Retry-After we wait for; a longer one ends the request with the 429/503. */
  retryAfterCapMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Every request (each redirect hop and retry) waits for a slot here, keyed by host name.
   * Do not also wrap `get()` in the same limiter: the nested wait can deadlock.
   */
  limiter?: HostLimiter;
  clock: Clock;
  /** Builds the direct dispatcher (default: a keep-alive undici Agent connecting through the guard). */
  dispatcherFactory?: (connect: DirectConnectOptions) => Dispatcher;
}

export interface GetOptions {
  accept?: string;
  /** Extra request headers (If-None-Match and friends). */
  headers?: Record<string, string>;
  /** Ends the whole request (all hops, retries and waits) when it aborts: one deadline per check. */
  signal?: AbortSignal;
  maxBodyBytes?: number;
  /** Past the cap: keep what fits (`truncate`, the default) or give no body and a `too_large` error. */
  overCap?: "truncate" | "refuse";
  retries?: number;
  /** HTTP redirects followed for this request (default: the client's). */
  maxRedirects?: number;
  /** Follow same-site HTML redirect stubs (meta refresh, a location script). Default true. */
  followHtmlRedirects?: boolean;
  /**
   * Retry a timed-out hop once here (default true). A scan passes false and retries the whole check
   * later itself, so a hanging host's second wait overlaps the rest of the scan.
   */
  retryTimeout?: boolean;
  /**
   * Retry a 429 here after its Retry-After (default true). A scan passes false: the limiter slows the
   * host down and the scan asks again later, so a 429 never becomes a verdict or a held worker.
   */
  retryRateLimited?: boolean;
}

export interface HttpClient {
  get(url: string, opts?: GetOptions): Promise<HttpResult>;
  close(): Promise<void>;
}

const DEFAULT_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const RETRYABLE: ReadonlySet<HttpErrorCode> = new Set([
  "refused",
  "reset",
  "timeout",
  "dns_error",
  "proxy",
  "other",
]);
/** Through our proxy these statuses are the proxy's own answer, not the site's. */
const PROXY_STATUSES = new Set([407, 502, 504]);
const TEXTUAL = /^text\/|[/+](?:json|xml|html)$/;
const HTML = /html|^$/;

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const elapsed = (since: number): number => Math.round(performance.now() - since);

/** A 503 that says when to come back, or a CDN's "origin unreachable" (520–524): a passing state. */
export function isTransientStatus(status: number, headers: Record<string, string>): boolean {
  return (status === 503 && !!headers["retry-after"]) || (status >= 520 && status <= 524);
}

type HopOutcome =
  | { kind: "error"; error: HttpError; ms: number }
  | {
      kind: "redirect";
      status: number;
      headers: Record<string, string>;
      location: string;
      ms: number;
    }
  | {
      kind: "final";
      status: number;
      headers: Record<string, string>;
      contentType: string | null;
      body: string | null;
      truncated: boolean;
      error: HttpError | null;
      ms: number;
    };

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function emptyResult(url: string): HttpResult {
  return {
    url,
    finalUrl: null,
    status: null,
    headers: {},
    hops: [],
    body: null,
    truncated: false,
    contentType: null,
    error: null,
    attempts: 0,
    timings: { totalMs: 0, ttfbMs: null },
  };
}

/** The caller's deadline as our error; a plain AbortSignal.timeout() reason reads the same. */
function deadlineReason(signal: AbortSignal): unknown {
  const reason = signal.reason;
  if (reason instanceof Error && (reason.name === "TimeoutError" || reason.name === "AbortError")) {
    return new DeadlineError("The whole check took longer than its deadline.");
  }
  return reason;
}

const loginWall = (url: URL): HttpError => ({
  code: "login_wall",
  message: `The address leads to a login page (${url.hostname}), which shows nothing about the group.`,
});

interface Route {
  dispatcher: Dispatcher;
  proxied: boolean;
}

export function createHttpClient(opts: HttpClientOptions): HttpClient {
  const lookup = opts.lookup ?? systemLookup;
  const allow = opts.allowNets;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const headersTimeoutMs = opts.headersTimeoutMs;
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? headersTimeoutMs;
  const maxRedirects = opts.maxRedirects ?? 10;
  const maxHtmlRedirects = opts.maxHtmlRedirects ?? 3;
  const defaultRetries = opts.retries ?? 2;
  const backoffMs = opts.backoffMs?.length ? opts.backoffMs : [500, 2000];
  const retryAfterCapMs = opts.retryAfterCapMs ?? 30_000;
  const sleep = opts.sleep ?? realSleep;
  const ca = typeof opts.ca === "string" ? [opts.ca] : opts.ca;
  const timeouts = { headersTimeout: headersTimeoutMs, bodyTimeout: bodyTimeoutMs };

  const connect: DirectConnectOptions = {
    lookup: guardedLookup(lookup, allow),
    timeout: connectTimeoutMs,
    ...(ca && { ca }),
  };
  const direct =
    opts.dispatcherFactory?.(connect) ??
    new Agent({ connect, connections: 4, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 30_000, ...timeouts });

  // Through a proxy the proxy resolves and connects to the target, so connect-time checks cannot
  // run; the pre-check with our own DNS is the best we can do (a rebinding name could slip by).
  const proxyAgent = (uri: string): ProxyAgent => {
    try {
      // proxyTunnel false: http targets go as absolute-URI requests (proxies often refuse CONNECT
      // to port 80); https targets always tunnel (CONNECT).
      return new ProxyAgent({
        uri,
        proxyTunnel: false,
        ...timeouts,
        proxyTls: { timeout: connectTimeoutMs },
        requestTls: { timeout: connectTimeoutMs, ...(ca && { ca }) },
      });
    } catch {
      throw new Error(`The proxy address "${stripCredentials(uri)}" is not a valid URL.`);
    }
  };
  const httpProxy = opts.proxy?.http ? proxyAgent(opts.proxy.http) : null;
  const httpsProxy = opts.proxy?.https ? proxyAgent(opts.proxy.https) : httpProxy;
  const dispatchers = [direct, httpProxy, httpsProxy].filter(
    (d, i, all): d is Dispatcher => !!d && all.indexOf(d) === i,
  );

  const route = (url: URL): Route => {
    const viaProxy = url.protocol === "https:" ? httpsProxy : httpProxy;
    if (viaProxy && !bypassesProxy(url, opts.proxy?.noProxy)) return { dispatcher: viaProxy, proxied: true };
    return { dispatcher: direct, proxied: false };
  };

  async function readFinal(
    res: Dispatcher.ResponseData,
    headers: Record<string, string>,
    ms: number,
    req: GetOptions,
    signal: AbortSignal,
  ): Promise<HopOutcome> {
    const contentType = mediaType(headers["content-type"]);
    const base = { kind: "final", status: res.statusCode, headers, contentType, ms } as const;
    const maxBytes = req.maxBodyBytes ?? opts.maxBodyBytes;
    const refuse = req.overCap === "refuse";
    const tooLarge: HttpError = {
      code: "too_large",
      message: `The answer is larger than ${maxBytes} bytes, more than we read.`,
    };
    const decoders = decodersFor(headers["content-encoding"]);
    if (!decoders.ok && decoders.reason === "hostile") {
      discard(res.body);
      const error: HttpError = {
        code: "hostile_encoding",
        message: `The answer is wrapped in ${headers["content-encoding"]}: more than two encodings, refused as a decompression trap.`,
      };
      return { ...base, body: null, truncated: false, error };
    }
    if (!(contentType === null || TEXTUAL.test(contentType)) || !decoders.ok) {
      discard(res.body);
      return { ...base, body: null, truncated: false, error: null };
    }
    if (refuse && Number(headers["content-length"]) > maxBytes && decoders.decoders.length === 0) {
      discard(res.body);
      return { ...base, body: null, truncated: false, error: tooLarge };
    }
    const read = await readCapped(res.body, decoders.decoders, maxBytes, bodyTimeoutMs, signal);
    if (refuse && read.truncated && !read.error)
      return { ...base, body: null, truncated: true, error: tooLarge };
    const body = decodeText(read.bytes, headers["content-type"], read.truncated);
    const failed = read.error && (read.bytes.length === 0 || refuse || signal.aborted);
    const error = failed ? classifyError(signal.aborted ? deadlineReason(signal) : read.error) : null;
    return { ...base, body: error ? null : body, truncated: read.truncated, error };
  }

  async function attemptHop(
    url: URL,
    req: GetOptions,
    overall: AbortSignal,
    answered: () => void = () => {},
    sent: () => void = () => {},
  ): Promise<HopOutcome> {
    const started = performance.now();
    const hopTimeoutMs = connectTimeoutMs + headersTimeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DeadlineError(`No answer within ${hopTimeoutMs} ms.`)),
      hopTimeoutMs,
    );
    const signal = AbortSignal.any([controller.signal, overall]);
    const { dispatcher, proxied } = route(url);
    try {
      const check = await abortable(checkUrlHost(url, lookup, allow), signal);
      if (!check.ok)
        return { kind: "error", error: { code: check.reason, message: check.detail }, ms: elapsed(started) };
      const res = await whenSent(url, sent, () =>
        request(url, {
          method: "GET",
          dispatcher,
          signal,
          ...timeouts,
          headers: {
            "user-agent": opts.userAgent,
            accept: req.accept ?? DEFAULT_ACCEPT,
            "accept-encoding": "gzip, deflate, br",
            "accept-language": "en;q=0.9, *;q=0.5",
            ...req.headers,
          },
        }),
      );
      clearTimeout(timer);
      answered();
      const ms = elapsed(started);
      const headers = flattenHeaders(res.headers);
      const location = headers.location;
      if (REDIRECT_STATUSES.has(res.statusCode) && location) {
        discard(res.body);
        return { kind: "redirect", status: res.statusCode, headers, location, ms };
      }
      if (proxied && PROXY_STATUSES.has(res.statusCode)) {
        discard(res.body);
        const error: HttpError = {
          code: "proxy",
          message: `Our proxy answered ${res.statusCode} instead of the site's page.`,
        };
        return { kind: "error", error, ms };
      }
      return await readFinal(res, headers, ms, req, overall);
    } catch (err) {
      const reason = overall.aborted
        ? deadlineReason(overall)
        : controller.signal.aborted
          ? controller.signal.reason
          : err;
      return { kind: "error", error: classifyError(reason, proxied), ms: elapsed(started) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sleeps `ms`, or less when the overall deadline comes first (then false). */
  async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return false;
    try {
      await abortable(sleep(ms), signal);
      return true;
    } catch {
      return false;
    }
  }

  async function run(input: string, req: GetOptions, overall: AbortSignal): Promise<HttpResult> {
    const started = performance.now();
    const result = emptyResult(stripCredentials(input.trim()));
    const finish = (error: HttpError | null = null): HttpResult => {
      result.error = error;
      result.timings.totalMs = elapsed(started);
      return result;
    };
    const timedOut = () => finish(classifyError(deadlineReason(overall)));

    let url: URL;
    try {
      url = new URL(input.trim());
    } catch {
      return finish({ code: "bad_url", message: `"${result.url}" is not a web address.` });
    }
    if (!isHttp(url)) return finish({ code: "bad_url", message: `${url.protocol} links are not web pages.` });
    url.username = "";
    url.password = "";

    const seen = new Set<string>();
    const retries = req.retries ?? defaultRetries;
    const followHtml = req.followHtmlRedirects ?? true;
    let retriesLeft = retries;
    let htmlRedirects = 0;
    let timedOutBefore = false;
    result.attempts = 1;
    const nextWait = () => backoffMs[Math.min(retries - retriesLeft, backoffMs.length - 1)] ?? 0;
    const retry = async (ms: number): Promise<boolean> => {
      if (!(await wait(ms, overall))) return false;
      retriesLeft--;
      result.attempts++;
      return true;
    };

    for (;;) {
      if (overall.aborted) return timedOut();
      seen.add(url.href);
      result.finalUrl = url.href;
      const current = url;
      const outcome = await (opts.limiter
        ? opts.limiter.run(current.hostname, (answered, sent) =>
            attemptHop(current, req, overall, answered, sent),
          )
        : attemptHop(current, req, overall));
      if (outcome.kind !== "error")
        opts.limiter?.observe(current.hostname, {
          status: outcome.status,
          headers: outcome.headers,
          ms: outcome.ms,
        });

      if (outcome.kind === "error") {
        // A timeout is retried once at most: a hanging host would otherwise hold a scan slot for
        // (retries + 1) × timeout, and its verdict (unknown) would not change.
        const retryTimeout =
          outcome.error.code !== "timeout" || (!timedOutBefore && req.retryTimeout !== false);
        if (outcome.error.code === "timeout") timedOutBefore = true;
        if (RETRYABLE.has(outcome.error.code) && retriesLeft > 0 && retryTimeout && !overall.aborted) {
          if (await retry(nextWait())) continue;
          return timedOut();
        }
        result.hops.push({ url: url.href, status: null, location: null, ms: outcome.ms });
        result.status = null;
        result.headers = {};
        return finish(outcome.error);
      }

      result.status = outcome.status;
      result.headers = outcome.headers;
      result.timings.ttfbMs = outcome.ms;
      const setCookie = "set-cookie" in outcome.headers ? { setCookie: true } : {};

      if (outcome.kind === "final") {
        const { status, headers } = outcome;
        const waitMs =
          status === 429 || status === 503
            ? retryAfterMs(headers["retry-after"], opts.clock.now().getTime())
            : null;
        if (waitMs !== null) result.retryAfterSec = Math.ceil(waitMs / 1000);
        const retryable = status >= 500 || (status === 429 && req.retryRateLimited !== false);
        if (retryable && retriesLeft > 0 && (waitMs === null || waitMs <= retryAfterCapMs)) {
          if (await retry(waitMs ?? nextWait())) continue;
          return timedOut();
        }
        result.contentType = outcome.contentType;
        result.body = outcome.body;
        result.truncated = outcome.truncated;

        const stub =
          followHtml && status >= 200 && status < 300 && outcome.body && HTML.test(outcome.contentType ?? "")
            ? findHtmlRedirect(outcome.body, url)
            : null;
        if (stub && htmlRedirects < maxHtmlRedirects) {
          htmlRedirects++;
          const location = stub.url.href;
          result.hops.push({ url: url.href, status, location, ms: outcome.ms, via: stub.via, ...setCookie });
          if (seen.has(location)) {
            const loop = `The page's HTML redirects go round in a circle at ${location}.`;
            return finish({ code: "redirect_loop", message: loop });
          }
          url = stub.url;
          continue;
        }

        result.hops.push({ url: url.href, status, location: null, ms: outcome.ms, ...setCookie });
        if (outcome.error) return finish(outcome.error);
        if (endsOnLoginWall(result.url, url.href)) return finish(loginWall(url));
        if (isTransientStatus(status, headers)) {
          const later = `The server keeps saying ${status}${headers["retry-after"] ? ` (retry after ${headers["retry-after"]})` : ""}: a passing state, not an answer.`;
          return finish({ code: "transient", message: later });
        }
        return finish();
      }

      result.hops.push({
        url: url.href,
        status: outcome.status,
        location: outcome.location,
        ms: outcome.ms,
        ...setCookie,
      });
      const next = followLocation(
        outcome.location,
        url,
        seen,
        result.hops.length - htmlRedirects,
        req.maxRedirects ?? maxRedirects,
      );
      if ("error" in next) {
        const { code } = next.error;
        if ((code === "redirect_loop" || code === "too_many_redirects") && isCookieLoop(result.hops)) {
          const loop = `The redirects go round until the visitor keeps a cookie (${next.error.message})`;
          return finish({ code: "cookie_loop", message: loop });
        }
        return finish(next.error);
      }
      if (endsOnLoginWall(result.url, next.url.href)) {
        // Not fetched: the platforms answer bots with walls of their own, and the address says enough.
        result.finalUrl = next.url.href;
        return finish(loginWall(next.url));
      }
      url = next.url;
    }
  }

  async function get(input: string, req: GetOptions = {}): Promise<HttpResult> {
    const overall = req.signal ?? new AbortController().signal;
    try {
      return await run(input, req, overall);
    } catch (err) {
      // Only a bug gets here; a request still answers with a result.
      const result = emptyResult(stripCredentials(input));
      result.error = { code: "other", message: `The request failed unexpectedly: ${errorText(err)}` };
      return result;
    }
  }

  return {
    get,
    async close() {
      await Promise.all(dispatchers.map((d) => d.destroy()));
    },
  };
}
