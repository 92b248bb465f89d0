import { readFile, stat } from "node:fs/promises";
import { STATUS_CODES } from "node:http";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Dispatcher, request } from "undici";
import type { ListedGroup } from "./types.js";
import { parseWikiHtml } from "./wiki-html.js";
import { DEFAULT_WIKI_PAGE_URL } from "./wiki-outline.js";
import { parseWikiRaw } from "./wiki-raw.js";

export interface FetchListingOptions {
  dispatcher?: Dispatcher;
  userAgent: string;
  etag?: string | null;
  lastModified?: string | null;
  /** Limit for the answer's headers and for each silence while the body arrives; the whole download gets 4×. */
  timeoutMs?: number;
  /** Largest body read; past it the download is cut off. Default 5 MB. */
  maxBytes?: number;
}

export type FetchListingResult =
  | {
      kind: "fresh";
      body: string;
      contentType: string;
      etag: string | null;
      lastModified: string | null;
      url: string;
    }
  | { kind: "unchanged" }
  | { kind: "error"; message: string };

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const ACCEPT = "text/html, text/plain;q=0.9, */*;q=0.1";

type Failure = Extract<FetchListingResult, { kind: "error" }>;
const failure = (message: string): Failure => ({ kind: "error", message });

/** Downloads a listing page. Conditional when an ETag / Last-Modified is given; never throws. */
export async function fetchListing(url: string, opts: FetchListingOptions): Promise<FetchListingResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const deadline = AbortSignal.timeout(timeoutMs * 4);
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    return failure(`"${url}" is not a web address. Give a full address such as ${DEFAULT_WIKI_PAGE_URL}.`);
  }

  const headers: Record<string, string> = { "user-agent": opts.userAgent, accept: ACCEPT };
  if (opts.etag) headers["if-none-match"] = opts.etag;
  if (opts.lastModified) headers["if-modified-since"] = opts.lastModified;

  for (let hop = 0; ; hop++) {
    if (current.protocol !== "http:" && current.protocol !== "https:") {
      return failure(`Only http and https addresses can be fetched, not "${current.href}".`);
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await request(current, {
        method: "GET",
        headers,
        dispatcher: opts.dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: deadline,
      });
    } catch (err) {
      return failure(networkMessage(err, current, timeoutMs, deadline.aborted));
    }

    const status = res.statusCode;
    if (REDIRECT_STATUSES.has(status)) {
      const location = header(res.headers, "location");
      await discard(res);
      if (!location) return failure(`The wiki answered ${statusText(status)} without saying where to go.`);
      if (hop + 1 > MAX_REDIRECTS) {
        return failure(`The wiki redirected more than ${MAX_REDIRECTS} times. Check the address.`);
      }
      try {
        current = new URL(location, current);
      } catch {
        return failure(`The wiki redirected to an address that is not valid ("${location}").`);
      }
      continue;
    }
    if (status === 304) {
      await discard(res);
      return { kind: "unchanged" };
    }
    if (status < 200 || status >= 300) {
      await discard(res);
      return failure(statusMessage(status));
    }

    const declared = Number(header(res.headers, "content-length"));
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.body.destroy();
      return failure(tooBigMessage(maxBytes));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > maxBytes) {
          res.body.destroy();
          return failure(tooBigMessage(maxBytes));
        }
        chunks.push(buf);
      }
    } catch (err) {
      return failure(networkMessage(err, current, timeoutMs, deadline.aborted));
    }

    const bytes = Buffer.concat(chunks, size);
    const isRaw = isRawActionUrl(current);
    const contentType = header(res.headers, "content-type") ?? (isRaw ? "text/plain; charset=utf-8" : "");
    return {
      kind: "fresh",
      body: decodeBody(bytes, contentType),
      contentType,
      etag: header(res.headers, "etag"),
      lastModified: header(res.headers, "last-modified"),
      url: current.href,
    };
  }
}

/** Reads a saved listing (HTML page or raw wiki markup) from disk. */
export async function readListingFile(path: string): Promise<FetchListingResult> {
  const full = resolve(path);
  let bytes: Buffer;
  try {
    const info = await stat(full);
    if (!info.isFile()) return failure(`${path} is not a file.`);
    if (info.size > DEFAULT_MAX_BYTES)
      return failure(`${path} is larger than 5 MB, too large for a listing.`);
    bytes = await readFile(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return failure(`There is no file at ${path}.`);
    if (code === "EACCES" || code === "EPERM") return failure(`${path} cannot be read (no permission).`);
    return failure(`${path} could not be read: ${(err as Error).message}`);
  }
  const ext = extname(full).toLowerCase();
  let contentType: string;
  if (ext === ".html" || ext === ".htm") {
    contentType = "text/html; charset=utf-8";
  } else {
    const text = new TextDecoder("utf-8").decode(bytes);
    if (looksLikeHtml(text)) contentType = "text/html; charset=utf-8";
    else if (looksLikeMoinMarkup(text)) contentType = "text/plain; charset=utf-8";
    else return failure(`${path} is neither an HTML page nor MoinMoin wiki markup.`);
  }
  return {
    kind: "fresh",
    body: decodeBody(bytes, contentType),
    contentType,
    etag: null,
    lastModified: null,
    url: pathToFileURL(full).href,
  };
}

/** Reads the groups out of a fetched listing, as HTML or as raw markup. */
export function parseListing(res: { body: string; contentType: string; url: string }): ListedGroup[] {
  return isHtmlListing(res) ? parseWikiHtml(res.body, res.url) : parseWikiRaw(res.body, res.url);
}

function isHtmlListing(res: { body: string; contentType: string; url: string }): boolean {
  const type = res.contentType.toLowerCase();
  if (isRawActionUrl(res.url)) return false;
  if (/html|xml/.test(type)) return true;
  if (type.startsWith("text/plain") || type.startsWith("text/x-moin")) return looksLikeHtml(res.body);
  return looksLikeHtml(res.body) || !looksLikeMoinMarkup(res.body);
}

function isRawActionUrl(url: string | URL): boolean {
  try {
    return new URL(url).searchParams.get("action") === "raw";
  } catch {
    return false;
  }
}

export function looksLikeHtml(text: string): boolean {
  const head = text.slice(0, 4096).trimStart();
  return (
    /^(<!doctype\s+html|<html|<head|<body|<!--)/i.test(head) || /<(html|body|div|h[1-6]|ul)[\s>]/i.test(head)
  );
}

export function looksLikeMoinMarkup(text: string): boolean {
  return (
    /^#(format|pragma|language)\b/m.test(text) ||
    /^={1,6}\s+\S.*\s={1,6}\s*$/m.test(text) ||
    /^\s+\*.*\[\[[^\]]+\]\]/m.test(text)
  );
}

function header(headers: Dispatcher.ResponseData["headers"], name: string): string | null {
  const value = headers[name];
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

async function discard(res: Dispatcher.ResponseData): Promise<void> {
  try {
    await res.body.dump({ limit: 64 * 1024 });
  } catch {
    res.body.destroy();
  }
}

function decodeBody(bytes: Buffer, contentType: string): string {
  const declared = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1];
  const sniffed = declared ? undefined : metaCharset(bytes);
  for (const label of [declared, sniffed, "utf-8"]) {
    if (!label) continue;
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // unknown charset label: try the next one
    }
  }
  return bytes.toString("utf8");
}

/** `<meta charset="…">` or `<meta http-equiv="Content-Type" content="…; charset=…">` near the top. */
function metaCharset(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 2048).toString("latin1");
  return /<meta[^>]+charset\s*=\s*["']?([\w-]+)/i.exec(head)?.[1];
}

function statusText(status: number): string {
  const text = STATUS_CODES[status];
  return text ? `${status} ${text}` : String(status);
}

function statusMessage(status: number): string {
  const answered = `The wiki answered ${statusText(status)}.`;
  if (status === 404 || status === 410) return `${answered} Check the address of the listing page.`;
  if (status === 401 || status === 403)
    return `${answered} The page is not open to Poick; check the address.`;
  if (status === 429) return `${answered} It wants fewer requests; try again later.`;
  if (status >= 500) return `${answered} Try again later.`;
  return `${answered} Nothing was read.`;
}

function tooBigMessage(maxBytes: number): string {
  const mb = Math.round((maxBytes / (1024 * 1024)) * 10) / 10;
  const size = mb >= 1 ? `${mb} MB` : `${Math.round(maxBytes / 1024)} KB`;
  return `The page is larger than ${size}, far more than a listing should be, so it was not read.`;
}

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let i = 0; e && i < 5; i++) {
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === "string") codes.push(code);
    if (typeof name === "string") codes.push(name);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

function networkMessage(err: unknown, url: URL, timeoutMs: number, deadlinePassed: boolean): string {
  const codes = errorCodes(err);
  const has = (...names: string[]) => names.some((n) => codes.includes(n));
  const host = url.hostname;
  const seconds = Math.max(1, Math.round(timeoutMs / 1000));
  if (
    deadlinePassed ||
    has(
      "UND_ERR_HEADERS_TIMEOUT",
      "UND_ERR_BODY_TIMEOUT",
      "UND_ERR_CONNECT_TIMEOUT",
      "TimeoutError",
      "ETIMEDOUT",
    )
  ) {
    return `The wiki (${host}) did not answer in time (${seconds} s). Try again later.`;
  }
  if (has("ENOTFOUND", "EAI_AGAIN")) {
    return `The wiki's server name (${host}) could not be found. Check the address and the network.`;
  }
  if (has("ECONNREFUSED")) return `The wiki's server (${host}) refused the connection. Try again later.`;
  if (has("ECONNRESET", "UND_ERR_SOCKET", "EPIPE", "UND_ERR_CLOSED")) {
    return `The connection to the wiki (${host}) broke off. Try again later.`;
  }
  if (codes.some((c) => /CERT|SSL|TLS|SELF_SIGNED/.test(c))) {
    return `The wiki's security certificate (${host}) could not be checked, so nothing was read.`;
  }
  if (has("EHOSTUNREACH", "ENETUNREACH"))
    return `The wiki (${host}) cannot be reached from here. Check the network.`;
  const detail = err instanceof Error && err.message ? ` (${err.message})` : "";
  return `The wiki (${host}) could not be fetched${detail}. Try again later.`;
}
