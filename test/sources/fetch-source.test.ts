import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpClient, type HttpClient } from "../../src/http/client.js";
import { parseCidrs } from "../../src/http/guard.js";
import {
  type FetchListingOptions,
  type FetchListingResult,
  fetchListing,
  parseListing,
  readListingFile,
} from "../../src/sources/fetch-source.js";
import { FakeClock } from "../helpers/clock.js";

const fixturePath = (name: string) => new URL(`../fixtures/wiki/${name}`, import.meta.url);
const fixture = (name: string) => readFileSync(fixturePath(name), "utf8");
const EXPECTED = JSON.parse(fixture("expected-groups.json")) as unknown[];
const UA = "PoickTest/1.0 (+https://example.org/poick)";
const ETAG = '"lug-v1"';
const LAST_MODIFIED = "Sun, 14 Jun 2026 08:21:03 GMT";

const seenAgents: string[] = [];
let server: http.Server;
let base: string;
const clients = new Map<number, HttpClient>();

/** One client per headers timeout, allowed onto loopback like POICK_ALLOW_NETS=127.0.0.0/8. */
function clientFor(timeoutMs: number): HttpClient {
  let c = clients.get(timeoutMs);
  if (!c) {
    c = createHttpClient({
      userAgent: UA,
      headersTimeoutMs: timeoutMs,
      maxBodyBytes: 1_048_576,
      allowNets: parseCidrs(["127.0.0.0/8"]),
      clock: new FakeClock(),
      retries: 0,
    });
    clients.set(timeoutMs, c);
  }
  return c;
}

function streamForever(res: http.ServerResponse) {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  const chunk = Buffer.alloc(64 * 1024, "<p>spam</p>");
  const pump = () => {
    while (!res.destroyed && res.write(chunk)) {
      // keep the socket full
    }
    if (!res.destroyed) res.once("drain", pump);
  };
  pump();
}

const routes: Record<string, http.RequestListener> = {
  ...Object.fromEntries(
    Array.from({ length: 8 }, (_, n): [string, http.RequestListener] => [
      `/chain/${n}`,
      (_req, res) => res.writeHead(302, { location: `/chain/${n + 1}` }).end(),
    ]),
  ),
  "/moin/LocalUserGroups": (req, res) => {
    seenAgents.push(req.headers["user-agent"] ?? "");
    if (req.headers["if-none-match"] === ETAG || req.headers["if-modified-since"] === LAST_MODIFIED) {
      res.writeHead(304, { etag: ETAG });
      res.end();
      return;
    }
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      etag: ETAG,
      "last-modified": LAST_MODIFIED,
    });
    res.end(fixture("LocalUserGroups.html"));
  },
  "/moin/LocalUserGroups?action=raw": (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    res.end(fixture("LocalUserGroups.raw.txt"));
  },
  "/busy": (_req, res) => {
    res.writeHead(503, { "content-type": "text/html" });
    res.end("<h1>Service Unavailable</h1>");
  },
  "/missing": (_req, res) => {
    res.writeHead(404);
    res.end();
  },
  "/forever": (_req, res) => streamForever(res),
  "/huge-declared": (_req, res) => {
    res.writeHead(200, { "content-type": "text/html", "content-length": String(50 * 1024 * 1024) });
    res.write("<p>");
  },
  "/hang": () => {
    // never answers
  },
  "/moved": (_req, res) => {
    res.writeHead(301, { location: "/hop/2" });
    res.end();
  },
  "/hop/2": (_req, res) => {
    res.writeHead(302, { location: `${base}/moin/LocalUserGroups` });
    res.end();
  },
  "/loop": (_req, res) => {
    res.writeHead(302, { location: "/loop" });
    res.end();
  },
  "/latin1": (_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=iso-8859-1" });
    res.end(
      Buffer.from(
        '<div id="content"><h2>Europe</h2><h3>Germany</h3><ul><li>Köln: <a href="https://pyc.example/">PyCologne</a></li></ul></div>',
        "latin1",
      ),
    );
  },
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const handler = routes[req.url ?? ""];
    if (handler) handler(req, res);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all([...clients.values()].map((c) => c.close()));
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const fetchOpts = ({
  timeoutMs = 2_000,
  ...extra
}: Partial<FetchListingOptions> & { timeoutMs?: number } = {}): FetchListingOptions => ({
  http: clientFor(timeoutMs),
  ...extra,
});
const expectError = (res: FetchListingResult): string => {
  if (res.kind !== "error") throw new Error(`expected an error, got ${res.kind}`);
  return res.message;
};

describe("fetchListing", () => {
  it("fetches the page with its ETag and Last-Modified, sending our User-Agent", async () => {
    const res = await fetchListing(`${base}/moin/LocalUserGroups`, fetchOpts());
    expect(res).toMatchObject({
      kind: "fresh",
      etag: ETAG,
      lastModified: LAST_MODIFIED,
      contentType: "text/html; charset=utf-8",
      url: `${base}/moin/LocalUserGroups`,
    });
    if (res.kind !== "fresh") return;
    expect(res.body).toBe(fixture("LocalUserGroups.html"));
    expect(seenAgents.at(-1)).toBe(UA);
    const groups = parseListing(res);
    expect(groups).toHaveLength(EXPECTED.length);
    expect(groups.find((g) => g.name === "Kassel Python")?.url).toBe(`${base}/moin/KasselPython`);
  });

  it("answers unchanged when the server says 304 to If-None-Match or If-Modified-Since", async () => {
    expect(await fetchListing(`${base}/moin/LocalUserGroups`, fetchOpts({ etag: ETAG }))).toEqual({
      kind: "unchanged",
    });
    expect(
      await fetchListing(`${base}/moin/LocalUserGroups`, fetchOpts({ lastModified: LAST_MODIFIED })),
    ).toEqual({ kind: "unchanged" });
    const stale = await fetchListing(`${base}/moin/LocalUserGroups`, fetchOpts({ etag: '"old"' }));
    expect(stale.kind).toBe("fresh");
  });

  it("reads ?action=raw as text/plain markup and parses it like the HTML", async () => {
    const res = await fetchListing(`${base}/moin/LocalUserGroups?action=raw`, fetchOpts());
    expect(res).toMatchObject({ kind: "fresh", contentType: "text/plain; charset=utf-8", etag: null });
    if (res.kind !== "fresh") return;
    const html = await fetchListing(`${base}/moin/LocalUserGroups`, fetchOpts());
    if (html.kind !== "fresh") throw new Error("html fetch failed");
    expect(parseListing(res)).toEqual(parseListing(html));
  });

  it("turns a 503 into a plain error", async () => {
    expect(expectError(await fetchListing(`${base}/busy`, fetchOpts()))).toBe(
      "The wiki answered 503 Service Unavailable. Try again later.",
    );
    expect(expectError(await fetchListing(`${base}/missing`, fetchOpts()))).toMatch(
      /^The wiki answered 404 Not Found\./,
    );
  });

  it("cuts off a body that never ends once it passes maxBytes", async () => {
    const started = Date.now();
    const res = await fetchListing(`${base}/forever`, fetchOpts({ maxBytes: 256 * 1024 }));
    expect(expectError(res)).toMatch(/larger than 256 KB/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("refuses a declared Content-Length over maxBytes without reading it", async () => {
    const started = Date.now();
    expect(expectError(await fetchListing(`${base}/huge-declared`, fetchOpts()))).toMatch(/larger than 5 MB/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("gives up on a server that never answers", async () => {
    const started = Date.now();
    const res = await fetchListing(`${base}/hang`, fetchOpts({ timeoutMs: 300 }));
    expect(expectError(res)).toMatch(/did not answer in time/);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("follows redirects, reporting the final address", async () => {
    const res = await fetchListing(`${base}/moved`, fetchOpts());
    expect(res).toMatchObject({ kind: "fresh", url: `${base}/moin/LocalUserGroups` });
  });

  it("stops a redirect loop, and after 5 redirects", async () => {
    expect(expectError(await fetchListing(`${base}/loop`, fetchOpts()))).toBe(
      "The wiki's redirects go round in a circle. Check the address.",
    );
    expect(expectError(await fetchListing(`${base}/chain/0`, fetchOpts()))).toBe(
      "The wiki redirected more than 5 times. Check the address.",
    );
  });

  it("decodes the declared charset", async () => {
    const res = await fetchListing(`${base}/latin1`, fetchOpts());
    if (res.kind !== "fresh") throw new Error(res.kind);
    expect(parseListing(res).map((g) => g.city)).toEqual(["Köln"]);
  });

  it("reports a refused connection and a bad address as plain errors, never throwing", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(expectError(await fetchListing(`http://127.0.0.1:${port}/`, fetchOpts()))).toMatch(
      /refused the connection/,
    );
    expect(expectError(await fetchListing("not a url", fetchOpts()))).toMatch(/is not a web address/);
    expect(expectError(await fetchListing("ftp://127.0.0.1/x", fetchOpts()))).toMatch(/Only http and https/);
  });
});

describe("readListingFile", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "poick-listing-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a saved HTML page", async () => {
    const res = await readListingFile(fixturePath("LocalUserGroups.html").pathname);
    expect(res).toMatchObject({ kind: "fresh", contentType: "text/html; charset=utf-8", etag: null });
    if (res.kind !== "fresh") return;
    const groups = parseListing(res);
    expect(groups).toHaveLength(EXPECTED.length);
    expect(groups.find((g) => g.name === "Kassel Python")?.url).toBe(
      "https://wiki.python.org/moin/KasselPython",
    );
  });

  it("recognises raw markup by its content", async () => {
    const res = await readListingFile(fixturePath("LocalUserGroups.raw.txt").pathname);
    expect(res).toMatchObject({ kind: "fresh", contentType: "text/plain; charset=utf-8" });
    if (res.kind !== "fresh") return;
    expect(parseListing(res)).toHaveLength(EXPECTED.length);
  });

  it("recognises HTML saved without an .html extension", async () => {
    const path = join(dir, "page.txt");
    writeFileSync(path, fixture("LocalUserGroups.html"));
    expect(await readListingFile(path)).toMatchObject({
      kind: "fresh",
      contentType: "text/html; charset=utf-8",
    });
  });

  it("explains a missing file or a file that is no listing", async () => {
    expect(expectError(await readListingFile(join(dir, "nope.html")))).toMatch(/There is no file at/);
    const junk = join(dir, "notes.txt");
    writeFileSync(junk, "just some notes\nnothing else\n");
    expect(expectError(await readListingFile(junk))).toMatch(
      /neither an HTML page, a Markdown page nor MoinMoin wiki markup/,
    );
  });
});
