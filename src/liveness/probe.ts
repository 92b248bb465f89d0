import { performance } from "node:perf_hooks";
import { pipeline, type Readable } from "node:stream";
import { TextDecoder } from "node:util";
import zlib from "node:zlib";
import { Agent, type Dispatcher, ProxyAgent, request } from "undici";
import type { Clock } from "../clock.js";
import {
  type Cidr,
  checkUrlHost,
  guardedLookup,
  inNetwork,
  ipLiteral,
  type LookupFn,
  parseCidrs,
  systemLookup,
} from "./guard.js";
import type { HostLimiter } from "./limiter.js";
import type { ProbeErrorCode, ProbeHop, ProbeResult } from "./probe-types.js";

export type { ProbeErrorCode, ProbeHop, ProbeResult };

export interface ProbeError {
  code: ProbeErrorCode;
  message: string;
}

/** What the direct (non-proxy) dispatcher must use to connect; handed to `dispatcherFactory`. */
export interface DirectConnectOptions {
  lookup: LookupFn;
  ca?: string | string[];
  timeout: number;
}

export interface ProbeOptions {
  userAgent: string;
  /** Per request: DNS check, connect and response headers together. */
  timeoutMs: number;
  /** Reading the whole body; defaults to `timeoutMs`. */
  bodyTimeoutMs?: number;
  /** Decoded (decompressed) body bytes kept; the rest is never read. */
  maxBodyBytes: number;
  maxRedirects?: number;
  allowNets: readonly Cidr[];
  /** DNS for both the pre-check and connecting; tests route names to loopback with it. */
  lookup?: LookupFn;
  /** HTTP_PROXY / HTTPS_PROXY / NO_PROXY values (read from config, never from process.env here); https falls back to http. */
  proxy?: { http?: string | undefined; https?: string | undefined; noProxy?: string | undefined };
  /** Builds the direct dispatcher (default: a keep-alive undici Agent using `lookup` through the guard). */
  dispatcherFactory?: (connect: DirectConnectOptions) => Dispatcher;
  /**
   * Trusted roots, replacing Node's (tests pass their own CA). Leave unset in production so
   * Node's bundled roots plus NODE_EXTRA_CA_CERTS apply.
   */
  ca?: string | string[];
  clock: Clock;
  /** Extra tries after network errors, 5xx and 429. */
  retries?: number;
  /** Waits before each retry; the last value repeats. */
  backoffMs?: readonly number[];
  /** Longest Retry-After we wait for; a longer one ends the probe with the 429/503. */
  retryAfterCapMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Every request (each redirect hop and retry) waits for a slot here, keyed by host name.
   * Do not also wrap `probe()` in the same limiter: the nested wait can deadlock.
   */
  limiter?: HostLimiter;
}

export interface ProbeRequestOptions {
  /** Accept header, e.g. `text/calendar` for a feed. */
  accept?: string;
}

export interface Prober {
  probe(url: string, opts?: ProbeRequestOptions): Promise<ProbeResult>;
  close(): Promise<void>;
}

const DEFAULT_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const RETRYABLE: ReadonlySet<ProbeErrorCode> = new Set([
  "refused",
  "reset",
  "timeout",
  "dns_error",
  "proxy",
  "other",
]);

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const elapsed = (since: number): number => Math.round(performance.now() - since);

type HopOutcome =
  | { kind: "error"; error: ProbeError; ms: number }
  | { kind: "redirect"; status: number; headers: Record<string, string>; location: string; ms: number }
  | {
      kind: "final";
      status: number;
      headers: Record<string, string>;
      contentType: string | null;
      body: string | null;
      truncated: boolean;
      error: ProbeError | null;
      ms: number;
    };

// ---------------------------------------------------------------- errors

class DeadlineError extends Error {
  override name = "DeadlineError";
}

function errorCodes(err: unknown, depth = 0): string[] {
  if (!err || typeof err !== "object" || depth > 5) return [];
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof e.code === "string" ? [e.code] : [];
  const nested = Array.isArray(e.errors) ? e.errors.flatMap((x) => errorCodes(x, depth + 1)) : [];
  return [...own, ...errorCodes(e.cause, depth + 1), ...nested];
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

const TLS_CODE =
  /^(CERT_|ERR_TLS_|ERR_SSL_|ERR_OSSL_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|UND_ERR_PRX_TLS)/;

/** Maps what undici, net, tls and dns throw to a probe error code. */
export function classifyError(err: unknown, proxied = false): ProbeError {
  const codes = errorCodes(err);
  const has = (...wanted: string[]) => codes.some((c) => wanted.includes(c));
  const detail = errorText(err);
  const make = (code: ProbeErrorCode, what: string): ProbeError => ({ code, message: `${what} ${detail}` });
  if (err instanceof DeadlineError) return { code: "timeout", message: err.message };
  if (has("POICK_FORBIDDEN_ADDRESS")) return { code: "forbidden_address", message: detail };
  if (codes.some((c) => TLS_CODE.test(c))) return make("tls", "The TLS certificate or handshake failed:");
  if (proxied && has("ENOTFOUND", "EAI_NONAME", "EAI_AGAIN", "ECONNREFUSED")) {
    return make("proxy", "Could not reach the proxy:");
  }
  if (has("ENOTFOUND", "EAI_NONAME", "ENODATA", "EAI_NODATA"))
    return make("dns_nxdomain", "The name does not exist:");
  if (has("EAI_AGAIN", "EAI_FAIL", "ESERVFAIL", "ETIMEOUT")) {
    return make("dns_error", "The name could not be looked up:");
  }
  if (has("ECONNREFUSED")) return make("refused", "The server refused the connection:");
  if (
    has(
      "UND_ERR_CONNECT_TIMEOUT",
      "UND_ERR_HEADERS_TIMEOUT",
      "UND_ERR_BODY_TIMEOUT",
      "ETIMEDOUT",
      "ERR_SOCKET_CONNECTION_TIMEOUT",
    )
  ) {
    return make("timeout", "The server did not answer in time:");
  }
  if (has("ECONNRESET", "EPIPE", "ECONNABORTED", "UND_ERR_SOCKET", "UND_ERR_CLOSED")) {
    return make("reset", "The connection was cut:");
  }
  if (/proxy/i.test(detail)) return make("proxy", "The proxy failed:");
  return make("other", "The request failed:");
}

// ---------------------------------------------------------------- proxy routing

/** NO_PROXY semantics as curl and undici read them: `*`, host names (suffix match), `host:port`, IPs and CIDRs. */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  const literal = ipLiteral(url.hostname);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return true;
    const range = literal ? networkEntry(entry) : null;
    if (range) {
      if (inNetwork(literal as string, range)) return true;
      continue;
    }
    const m = /^(.*?)(?::(\d+))?$/.exec(entry);
    const name = (m?.[1] ?? entry).replace(/^\*?\./, "");
    const entryPort = m?.[2] ? Number(m[2]) : null;
    if (entryPort !== null && entryPort !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

function networkEntry(entry: string): Cidr | null {
  try {
    return parseCidrs([entry.replace(/^\[(.*)\]$/, "$1")])[0] ?? null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- body

const TEXTUAL = /^text\/|[/+](?:json|xml|html)$/;

function mediaType(header: string | undefined): string | null {
  const essence = header?.split(";")[0]?.trim().toLowerCase();
  return essence ? essence : null;
}

function isTextual(type: string | null): boolean {
  return type === null || TEXTUAL.test(type);
}

type Decoder = () => NodeJS.ReadWriteStream;

function decodersFor(contentEncoding: string | undefined): Decoder[] | null {
  const codings = (contentEncoding ?? "")
    .toLowerCase()
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c && c !== "identity");
  const decoders: Decoder[] = [];
  for (const coding of codings.reverse()) {
    // Z_SYNC_FLUSH: a body cut short (by us or the server) still yields what was decoded.
    if (coding === "gzip" || coding === "x-gzip" || coding === "deflate") {
      decoders.push(() => zlib.createUnzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH }));
    } else if (coding === "br") {
      decoders.push(() =>
        zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }),
      );
    } else {
      return null;
    }
  }
  return decoders;
}

interface BodyRead {
  bytes: Buffer;
  truncated: boolean;
  error: unknown;
}

/** Reads at most `maxBytes` decoded bytes within `deadlineMs`, then destroys the streams. */
async function readCapped(
  body: Readable,
  decoders: Decoder[],
  maxBytes: number,
  deadlineMs: number,
): Promise<BodyRead> {
  const noop = () => {};
  const stream = decoders.reduce<NodeJS.ReadableStream>(
    (source, make) => pipeline(source, make(), noop),
    body,
  ) as Readable;
  const chunks: Buffer[] = [];
  let total = 0;
  let truncated = false;
  let error: unknown = null;
  const timer = setTimeout(
    () => stream.destroy(new DeadlineError(`The body took longer than ${deadlineMs} ms.`)),
    deadlineMs,
  );
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      if (total + buf.length > maxBytes) {
        chunks.push(buf.subarray(0, maxBytes - total));
        total = maxBytes;
        truncated = true;
        break;
      }
      chunks.push(buf);
      total += buf.length;
    }
  } catch (err) {
    truncated = true;
    error = err;
  } finally {
    clearTimeout(timer);
    discard(stream);
    discard(body);
  }
  return { bytes: Buffer.concat(chunks, total), truncated, error };
}

/** Destroys a body we will not read; undici emits an AbortError on destroy, which must not go unhandled. */
function discard(body: Readable): void {
  body.on("error", () => {});
  body.destroy();
}

function charsetParam(contentType: string | undefined): string | null {
  const m = /;\s*charset\s*=\s*["']?([^;"'\s]+)/i.exec(contentType ?? "");
  return m?.[1] ?? null;
}

function bomCharset(bytes: Buffer): string | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  return null;
}

/** `<meta charset>`, `<meta http-equiv content="...; charset=">` or an XML declaration near the start. */
export function sniffCharset(bytes: Buffer): string | null {
  const head = bytes.subarray(0, 4096).toString("latin1");
  const xml = /^\s*<\?xml[^>]*?encoding\s*=\s*["']([\w.:+-]+)["']/i.exec(head);
  if (xml) return xml[1] as string;
  const meta = /<meta[^>]*?charset\s*=\s*["']?\s*([\w.:+-]+)/i.exec(head);
  if (!meta) return null;
  // A meta tag claiming UTF-16 is read as UTF-8 (the bytes that said so were ASCII).
  return /^utf-?16/i.test(meta[1] as string) ? "utf-8" : (meta[1] as string);
}

function textDecoder(label: string | null): TextDecoder {
  if (label) {
    try {
      return new TextDecoder(label);
    } catch {
      // unknown label: utf-8 below
    }
  }
  return new TextDecoder("utf-8");
}

/** Decodes body bytes: BOM, then the Content-Type charset, then a sniffed meta/XML charset (not for JSON), else UTF-8. */
export function decodeText(bytes: Buffer, contentTypeHeader: string | undefined, truncated = false): string {
  const isJson = /json$/.test(mediaType(contentTypeHeader) ?? "");
  const label =
    bomCharset(bytes) ?? charsetParam(contentTypeHeader) ?? (isJson ? "utf-8" : sniffCharset(bytes));
  // stream: true drops a multi-byte character cut in half by the size cap.
  return textDecoder(label).decode(bytes, { stream: truncated });
}

// ---------------------------------------------------------------- retry timing

function retryAfterMs(value: string | undefined, now: Date): number | null {
  const v = value?.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
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

const isHttp = (url: URL): boolean => url.protocol === "http:" || url.protocol === "https:";

/** Where a redirect leads, or why we stop there. `hopCount` includes the redirecting hop. */
function followLocation(
  location: string,
  from: URL,
  seen: ReadonlySet<string>,
  hopCount: number,
  maxRedirects: number,
): { url: URL } | { error: ProbeError } {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return { error: { code: "bad_url", message: `The redirect to "${location}" is not a web address.` } };
  }
  if (!isHttp(next)) {
    return {
      error: { code: "bad_url", message: `The page redirects to a ${next.protocol} link, not a web page.` },
    };
  }
  if (seen.has(next.href)) {
    return {
      error: { code: "redirect_loop", message: `The redirects go round in a circle at ${next.href}.` },
    };
  }
  if (hopCount > maxRedirects) {
    return { error: { code: "too_many_redirects", message: `More than ${maxRedirects} redirects.` } };
  }
  return { url: next };
}

// ---------------------------------------------------------------- the prober

interface Route {
  dispatcher: Dispatcher;
  proxied: boolean;
}

export function createProber(opts: ProbeOptions): Prober {
  const lookup = opts.lookup ?? systemLookup;
  const allow = opts.allowNets;
  const timeoutMs = opts.timeoutMs;
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? opts.timeoutMs;
  const maxRedirects = opts.maxRedirects ?? 10;
  const retries = opts.retries ?? 2;
  const backoffMs = opts.backoffMs?.length ? opts.backoffMs : [500, 2000];
  const retryAfterCapMs = opts.retryAfterCapMs ?? 30_000;
  const sleep = opts.sleep ?? realSleep;
  const ca = typeof opts.ca === "string" ? [opts.ca] : opts.ca;
  const timeouts = { headersTimeout: timeoutMs, bodyTimeout: bodyTimeoutMs };

  const connect: DirectConnectOptions = {
    lookup: guardedLookup(lookup, allow),
    timeout: timeoutMs,
    ...(ca && { ca }),
  };
  const direct =
    opts.dispatcherFactory?.(connect) ??
    new Agent({ connect, connections: 4, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 30_000, ...timeouts });

  // Through a proxy the proxy resolves and connects to the target, so connect-time checks cannot
  // run; the pre-check below with our own DNS is the best we can do (a rebinding name could slip by).
  const proxyAgent = (uri: string): ProxyAgent => {
    try {
      // proxyTunnel false: http targets go as absolute-URI requests; https targets always tunnel (CONNECT).
      return new ProxyAgent({ uri, proxyTunnel: false, ...timeouts, ...(ca && { requestTls: { ca } }) });
    } catch {
      throw new Error(`The proxy address "${uri}" is not a valid URL.`);
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
  ): Promise<HopOutcome> {
    const contentType = mediaType(headers["content-type"]);
    const base = { kind: "final", status: res.statusCode, headers, contentType, ms } as const;
    const decoders = decodersFor(headers["content-encoding"]);
    if (!isTextual(contentType) || decoders === null) {
      discard(res.body);
      return { ...base, body: null, truncated: false, error: null };
    }
    const read = await readCapped(res.body, decoders, opts.maxBodyBytes, bodyTimeoutMs);
    const body = decodeText(read.bytes, headers["content-type"], read.truncated);
    const error = read.error && read.bytes.length === 0 ? classifyError(read.error) : null;
    return { ...base, body: error ? null : body, truncated: read.truncated, error };
  }

  async function attemptHop(url: URL, accept: string): Promise<HopOutcome> {
    const started = performance.now();
    const controller = new AbortController();
    const deadline = setTimeout(
      () => controller.abort(new DeadlineError(`No answer within ${timeoutMs} ms.`)),
      timeoutMs,
    );
    const { dispatcher, proxied } = route(url);
    try {
      const check = await abortable(checkUrlHost(url, lookup, allow), controller.signal);
      if (!check.ok)
        return { kind: "error", error: { code: check.reason, message: check.detail }, ms: elapsed(started) };
      const res = await request(url, {
        method: "GET",
        dispatcher,
        signal: controller.signal,
        ...timeouts,
        headers: {
          "user-agent": opts.userAgent,
          accept,
          "accept-encoding": "gzip, deflate, br",
          "accept-language": "en;q=0.9, *;q=0.5",
        },
      });
      clearTimeout(deadline);
      const ms = elapsed(started);
      const headers = flattenHeaders(res.headers);
      const location = headers.location;
      if (REDIRECT_STATUSES.has(res.statusCode) && location) {
        discard(res.body);
        return { kind: "redirect", status: res.statusCode, headers, location, ms };
      }
      return await readFinal(res, headers, ms);
    } catch (err) {
      const reason = controller.signal.aborted ? controller.signal.reason : err;
      return { kind: "error", error: classifyError(reason, proxied), ms: elapsed(started) };
    } finally {
      clearTimeout(deadline);
    }
  }

  async function runProbe(input: string, reqOpts: ProbeRequestOptions): Promise<ProbeResult> {
    const started = performance.now();
    const result: ProbeResult = {
      url: input,
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
    const finish = (error: ProbeError | null = null): ProbeResult => {
      result.error = error;
      result.timings.totalMs = elapsed(started);
      return result;
    };

    let url: URL;
    try {
      url = new URL(input.trim());
    } catch {
      return finish({ code: "bad_url", message: `"${input}" is not a web address.` });
    }
    if (!isHttp(url)) return finish({ code: "bad_url", message: `${url.protocol} links are not web pages.` });

    const seen = new Set<string>();
    result.attempts = 1;
    let retriesLeft = retries;
    let timedOutBefore = false;
    const nextWait = () => backoffMs[Math.min(retries - retriesLeft, backoffMs.length - 1)] ?? 0;

    for (;;) {
      seen.add(url.href);
      result.finalUrl = url.href;
      const current = url;
      const accept = reqOpts.accept ?? DEFAULT_ACCEPT;
      const outcome = await (opts.limiter
        ? opts.limiter.run(current.hostname, () => attemptHop(current, accept))
        : attemptHop(current, accept));

      if (outcome.kind === "error") {
        // A timeout is retried once at most: a hanging host would otherwise hold a scan slot for
        // (retries + 1) × timeout, and its verdict (unknown) would not change.
        const retryTimeout = outcome.error.code !== "timeout" || !timedOutBefore;
        if (outcome.error.code === "timeout") timedOutBefore = true;
        if (RETRYABLE.has(outcome.error.code) && retriesLeft > 0 && retryTimeout) {
          await sleep(nextWait());
          retriesLeft--;
          result.attempts++;
          continue;
        }
        result.hops.push({ url: url.href, status: null, location: null, ms: outcome.ms });
        result.status = null;
        result.headers = {};
        return finish(outcome.error);
      }

      result.status = outcome.status;
      result.headers = outcome.headers;
      result.timings.ttfbMs = outcome.ms;

      if (outcome.kind === "final") {
        const waitMs =
          outcome.status === 429 || outcome.status === 503
            ? retryAfterMs(outcome.headers["retry-after"], opts.clock.now())
            : null;
        if (waitMs !== null) result.retryAfterSec = Math.ceil(waitMs / 1000);
        const retryable = outcome.status >= 500 || outcome.status === 429;
        if (retryable && retriesLeft > 0 && (waitMs === null || waitMs <= retryAfterCapMs)) {
          await sleep(waitMs ?? nextWait());
          retriesLeft--;
          result.attempts++;
          continue;
        }
        result.hops.push({ url: url.href, status: outcome.status, location: null, ms: outcome.ms });
        result.contentType = outcome.contentType;
        result.body = outcome.body;
        result.truncated = outcome.truncated;
        return finish(outcome.error);
      }

      result.hops.push({ url: url.href, status: outcome.status, location: outcome.location, ms: outcome.ms });
      const next = followLocation(outcome.location, url, seen, result.hops.length, maxRedirects);
      if ("error" in next) return finish(next.error);
      url = next.url;
    }
  }

  async function probe(input: string, reqOpts: ProbeRequestOptions = {}): Promise<ProbeResult> {
    try {
      return await runProbe(input, reqOpts);
    } catch (err) {
      // Only a bug gets here; a probe still answers with a result.
      return {
        url: input,
        finalUrl: null,
        status: null,
        headers: {},
        hops: [],
        body: null,
        truncated: false,
        contentType: null,
        error: { code: "other", message: `The probe failed unexpectedly: ${errorText(err)}` },
        attempts: 0,
        timings: { totalMs: 0, ttfbMs: null },
      };
    }
  }

  return {
    probe,
    async close() {
      await Promise.all(dispatchers.map((d) => d.destroy()));
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
): Promise<FetchTextResult> {
  const result = await prober.probe(url, { accept });
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
