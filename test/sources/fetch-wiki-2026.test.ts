import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpClient, type HttpClient, type HttpClientOptions } from "../../src/http/client.js";
import { parseCidrs } from "../../src/http/guard.js";
import { fetchListing, readListingFile } from "../../src/sources/fetch-source.js";
import { FakeClock } from "../helpers/clock.js";
import { startForwardProxy, startTestWeb, type TestWeb } from "../helpers/web.js";

const FIXTURES = join(import.meta.dirname, "../fixtures/wiki-2026");
const MD = readFileSync(join(FIXTURES, "LocalUserGroups.md"), "utf8");
const HTML = readFileSync(join(FIXTURES, "LocalUserGroups.html"), "utf8");
const PAGE = "/python/community/LocalUserGroups.html";
const SOURCE = "/_sources/python/community/LocalUserGroups.md.txt";
const ETAG = '"md-v1"';

/** The stub the static wiki serves at an old MoinMoin address (see the fixture's README). */
const STUB = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Redirecting…</title>
<noscript><meta http-equiv="refresh" content="0; url=..${PAGE}"></noscript>
<script>window.location.replace("..${PAGE}" + window.location.hash);</script>
</head><body></body></html>`;

let web: TestWeb;
const clients: HttpClient[] = [];
const client = (over: Partial<HttpClientOptions> = {}) => {
  const c = createHttpClient({
    userAgent: "PoickTest",
    headersTimeoutMs: 2_000,
    maxBodyBytes: 1_048_576,
    allowNets: parseCidrs(["127.0.0.0/8"]),
    lookup: web.lookup,
    clock: new FakeClock(),
    retries: 0,
    ...over,
  });
  clients.push(c);
  return c;
};
const text = (type: string, body: string, headers: Record<string, string> = {}) =>
  ((_req: http.IncomingMessage, res: http.ServerResponse) =>
    res.writeHead(200, { "content-type": type, ...headers }).end(body)) satisfies (
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) => void;
const paths = (host: string) => web.log.filter((h) => h.host === host).map((h) => h.path);

beforeAll(async () => {
  web = await startTestWeb();
  web.route("wiki.poick.test", {
    "/moin/LocalUserGroups": text("text/html", STUB),
    [PAGE]: text("text/html; charset=utf-8", HTML),
    [SOURCE]: (req, res) => {
      if (req.headers["if-none-match"] === ETAG) return res.writeHead(304, { etag: ETAG }).end();
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", etag: ETAG }).end(MD);
    },
  });
  web.route("nosource.poick.test", {
    "/moin/LocalUserGroups": text("text/html", STUB),
    [PAGE]: text("text/html; charset=utf-8", HTML),
  });
  web.route("soft404.poick.test", {
    [PAGE]: text("text/html; charset=utf-8", HTML),
    // Some hosts answer every missing path with 200 and their home page.
    "*": text("text/html", "<!doctype html><html><body><h1>Welcome</h1></body></html>"),
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await web.close();
});

describe("fetchListing on the 2026 static wiki", () => {
  it("follows the old address's stub and reads the page's Markdown source", async () => {
    const res = await fetchListing(web.url("wiki.poick.test", "/moin/LocalUserGroups"), { http: client() });
    expect(res).toMatchObject({
      kind: "fresh",
      readFrom: "markdown-source",
      url: web.url("wiki.poick.test", PAGE),
      readUrl: web.url("wiki.poick.test", SOURCE),
      etag: ETAG,
    });
    expect(res.kind === "fresh" && res.body).toBe(MD);
  });

  it("on the page's own address tries the source first and never downloads the HTML", async () => {
    const before = paths("wiki.poick.test").length;
    const res = await fetchListing(web.url("wiki.poick.test", PAGE), { http: client() });
    expect(res).toMatchObject({ kind: "fresh", readFrom: "markdown-source" });
    expect(paths("wiki.poick.test").slice(before)).toEqual([SOURCE]);
  });

  it("answers unchanged when the source's ETag still matches", async () => {
    const res = await fetchListing(web.url("wiki.poick.test", PAGE), { http: client(), etag: ETAG });
    expect(res).toEqual({ kind: "unchanged" });
  });

  it("falls back to the HTML when the source does not answer, or answers with an HTML page", async () => {
    const viaStub = await fetchListing(web.url("nosource.poick.test", "/moin/LocalUserGroups"), {
      http: client(),
    });
    expect(viaStub).toMatchObject({
      kind: "fresh",
      readFrom: "html",
      url: web.url("nosource.poick.test", PAGE),
    });
    expect(viaStub.kind === "fresh" && viaStub.body).toBe(HTML);
    const soft = await fetchListing(web.url("soft404.poick.test", PAGE), { http: client() });
    expect(soft).toMatchObject({ kind: "fresh", readFrom: "html" });
  });

  it("refuses a listing over the network cap", async () => {
    const res = await fetchListing(web.url("wiki.poick.test", PAGE), { http: client(), maxBytes: 16 * 1024 });
    expect(res).toEqual({
      kind: "error",
      message: "The page is larger than 16 KB, far more than a listing should be, so it was not read.",
    });
  });

  it("honours the address guard and the proxy like a scan", async () => {
    const guarded = await fetchListing(web.url("wiki.poick.test", PAGE), { http: client({ allowNets: [] }) });
    expect(guarded).toMatchObject({ kind: "error", message: expect.stringMatching(/POICK_ALLOW_NETS/) });
    const proxy = await startForwardProxy(web.lookup);
    try {
      const res = await fetchListing(web.url("wiki.poick.test", "/moin/LocalUserGroups"), {
        http: client({ proxy: { http: proxy.url } }),
      });
      expect(res).toMatchObject({ kind: "fresh", readFrom: "markdown-source" });
      expect(proxy.requests).toContain(web.url("wiki.poick.test", SOURCE));
      expect(proxy.requests).toContain(web.url("wiki.poick.test", "/moin/LocalUserGroups"));
    } finally {
      await proxy.close();
    }
  });
});

describe("readListingFile", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "poick-listing-2026-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the Markdown source and the Sphinx page from disk", async () => {
    expect(await readListingFile(join(FIXTURES, "LocalUserGroups.md"))).toMatchObject({
      kind: "fresh",
      readFrom: "markdown-source",
      body: MD,
    });
    const asTxt = join(dir, "LocalUserGroups.md.txt");
    writeFileSync(asTxt, MD);
    expect(await readListingFile(asTxt)).toMatchObject({ kind: "fresh", readFrom: "markdown-source" });
    expect(await readListingFile(join(FIXTURES, "LocalUserGroups.html"))).toMatchObject({
      kind: "fresh",
      readFrom: "html",
    });
  });

  it("reads a local file whatever its size (the cap is for the network)", async () => {
    const big = join(dir, "big.html");
    writeFileSync(big, `<html><body>${"<p>padding</p>".repeat(500_000)}${HTML}</body></html>`);
    const res = await readListingFile(big);
    expect(res.kind).toBe("fresh");
    expect(res.kind === "fresh" && res.body.length).toBeGreaterThan(6 * 1024 * 1024);
  });
});
