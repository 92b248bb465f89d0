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
  /**
   * Builds the direct dispatcher (default: a keep-alive undici Agent connecting through the guard),
   * and a second one for hedged requests' fresh connections.
   */
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
   * Retry a timed-out hop once here, after it (default true). A hop that was hedged had its one
   * retry beside it and is not retried again. A scan passes false and retries an unhedged timeout
   * (a connect that never finished) later itself, so that wait overlaps the rest of the scan.
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

/** How one request of a hop is made, and what it tells its hop. */
interface AttemptHooks {
  /** The answer's headers came (the limiter's, then the hop's race). */
  answered: () => void;
  /** The request's headers were written to the socket. */
  sent: () => void;
  /** The request could not be followed to the socket: `sent` will not come. */
  untracked: () => void;
  /** Ends this request: it lost the race, or the hop's deadline passed. */
  stop: AbortSignal;
  /** The second request of a hedged hop: a fresh connection of its own. */
  hedge: boolean;
}

/** One request of a hedged hop. */
interface Attempt {
  stop: AbortController;
  /** performance.now() when it got its slot and started; 0 while it waits. */
  started: number;
  done: boolean;
  outcome: HopOutcome | null;
}

/** The other request of the hop answered first. */
class LostRace extends Error {
  override name = "LostRace";
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

interface HedgedHop {
  outcome: HopOutcome;
  /** A second request went out beside a slow first one. */
  hedged: boolean;
}

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
  // Hedges (see hedgedHop) get connections of their own, each closed after its answer (`reset`):
  // rare, and never queued behind the first request's socket. Made on the first hedge.
  let hedgeAgent: Dispatcher | null = null;
  const hedgeDirect = (): Dispatcher => {
    hedgeAgent ??= opts.dispatcherFactory?.(connect) ?? new Agent({ connect, ...timeouts });
    return hedgeAgent;
  };
  const hedgeAfterMs = Math.round(headersTimeoutMs / 2);

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
    a: AttemptHooks,
  ): Promise<HopOutcome> {
    const started = performance.now();
    const hopTimeoutMs = connectTimeoutMs + headersTimeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DeadlineError(`No answer within ${hopTimeoutMs} ms.`)),
      hopTimeoutMs,
    );
    const signal = AbortSignal.any([controller.signal, overall, a.stop]);
    const routed = route(url);
    const { proxied } = routed;
    // A hedge never shares a socket: the first request's connection may be the one that is stuck.
    const dispatcher = a.hedge && !proxied ? hedgeDirect() : routed.dispatcher;
    try {
      const check = await abortable(checkUrlHost(url, lookup, allow), signal);
      if (!check.ok)
        return { kind: "error", error: { code: check.reason, message: check.detail }, ms: elapsed(started) };
      const res = await whenSent(
        url,
        a.sent,
        () =>
          request(url, {
            method: "GET",
            dispatcher,
            signal,
            ...timeouts,
            ...(a.hedge && { reset: true }),
            headers: {
              "user-agent": opts.userAgent,
              accept: req.accept ?? DEFAULT_ACCEPT,
              "accept-encoding": "gzip, deflate, br",
              "accept-language": "en;q=0.9, *;q=0.5",
              ...req.headers,
            },
          }),
        a.untracked,
      );
      clearTimeout(timer);
      a.answered();
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
          : a.stop.aborted
            ? a.stop.reason
            : err;
      return { kind: "error", error: classifyError(reason, proxied), ms: elapsed(started) };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One hop, hedged. When the request has no answer's headers half-way through its headers timeout,
   * the same request goes out again beside it: through the limiter and the address guard like any
   * request, on a fresh connection. The first answer wins and the other request is stopped; the
   * second ends no later than the first's deadline. So a host that accepts and never answers costs
   * one timeout (and two requests) instead of a timeout and a retry's timeout after it, while a
   * site that answers late is still read by whichever request it answers first. A request that
   * answers (or fails) before the half-way mark is never sent twice.
   */
  function hedgedHop(url: URL, req: GetOptions, overall: AbortSignal): Promise<HedgedHop> {
    return new Promise<HedgedHop>((resolve) => {
      const attempts: Attempt[] = [];
      let winner: Attempt | null = null;
      let settled = false;
      let armed = false;
      let hedgeTimer: ReturnType<typeof setTimeout> | undefined;
      let hedgeDeadline: ReturnType<typeof setTimeout> | undefined;
      const stopTimers = () => {
        clearTimeout(hedgeTimer);
        clearTimeout(hedgeDeadline);
      };

      const finish = (a: Attempt, outcome: HopOutcome) => {
        settled = true;
        stopTimers();
        for (const other of attempts) if (other !== a && !other.done) other.stop.abort(new LostRace());
        const first = attempts[0] as Attempt;
        // The hop's time counts from the first request: what the caller waited for this hop.
        const ms = a.started > 0 ? Math.round(a.started - first.started) + outcome.ms : outcome.ms;
        resolve({ outcome: { ...outcome, ms }, hedged: attempts.some((x) => x !== first && x.started > 0) });
      };

      const win = (a: Attempt) => {
        if (winner || settled) return;
        winner = a;
        stopTimers();
        for (const other of attempts) if (other !== a && !other.done) other.stop.abort(new LostRace());
      };

      const ended = (a: Attempt, outcome: HopOutcome) => {
        a.done = true;
        a.outcome = outcome;
        if (settled || (winner && winner !== a)) return;
        if (winner === a) return finish(a, outcome);
        // No answer from this one. The first request's timeout is the hop's deadline: it ends both.
        // Any other failure waits for the other request while it may still answer.
        const first = attempts[0] as Attempt;
        const deadline = a === first && outcome.kind === "error" && outcome.error.code === "timeout";
        if (!deadline && attempts.some((x) => !x.done)) return;
        finish(first, first.outcome ?? outcome);
      };

      const launch = (hedge: boolean): Attempt => {
        const a: Attempt = { stop: new AbortController(), started: 0, done: false, outcome: null };
        attempts.push(a);
        const run = (answered: () => void, sent: () => void) => {
          a.started = performance.now();
          return attemptHop(url, req, overall, {
            hedge,
            stop: a.stop.signal,
            answered: () => {
              answered();
              win(a);
            },
            sent: () => {
              sent();
              if (!hedge) arm();
            },
            untracked: () => {
              if (!hedge) arm();
            },
          });
        };
        const noop = () => {};
        const task = opts.limiter
          ? opts.limiter.run(url.hostname, run, AbortSignal.any([a.stop.signal, overall]))
          : run(noop, noop);
        task.then(
          (outcome) => ended(a, outcome),
          (err: unknown) => {
            const reason = overall.aborted ? deadlineReason(overall) : err;
            ended(a, { kind: "error", error: classifyError(reason), ms: 0 });
          },
        );
        return a;
      };

      // From the moment the first request left (or started, when that can't be seen), as undici's
      // headers timeout counts.
      const arm = () => {
        if (armed || settled || winner) return;
        armed = true;
        const deadlineAt = performance.now() + headersTimeoutMs;
        hedgeTimer = setTimeout(() => {
          if (settled || winner) return;
          const hedge = launch(true);
          hedgeDeadline = setTimeout(
            () => hedge.stop.abort(new DeadlineError(`No answer within ${headersTimeoutMs} ms.`)),
            Math.max(0, deadlineAt - performance.now()),
          );
        }, hedgeAfterMs);
      };

      launch(false);
    });
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
      const { outcome, hedged } = await hedgedHop(current, req, overall);
      if (hedged) {
        result.attempts++;
        result.hedged = true;
      }
      if (outcome.kind !== "error")
        opts.limiter?.observe(current.hostname, {
          status: outcome.status,
          headers: outcome.headers,
          ms: outcome.ms,
        });

      if (outcome.kind === "error") {
        // A timeout is retried once at most: a hanging host would otherwise hold a scan slot for
        // (retries + 1) × timeout, and its verdict (unknown) would not change. A hedged hop has had
        // its one retry already, beside the first request.
        const retryTimeout =
          outcome.error.code !== "timeout" || (!timedOutBefore && !hedged && req.retryTimeout !== false);
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
      await Promise.all([...dispatchers, ...(hedgeAgent ? [hedgeAgent] : [])].map((d) => d.destroy()));
    },
  };
}
