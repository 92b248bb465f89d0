import http from "node:http";
import type net from "node:net";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpClient, type HttpClient, type HttpClientOptions } from "../../src/http/client.js";
import { parseCidrs } from "../../src/http/guard.js";
import { classify } from "../../src/liveness/classify.js";
import type { ProbeResult } from "../../src/liveness/probe-types.js";
import { FakeClock } from "../helpers/clock.js";
import { startTlsSite, testPki } from "../helpers/pki.js";
import { startForwardProxy, startTestWeb, type TestWeb } from "../helpers/web.js";

let web: TestWeb;
const clients: HttpClient[] = [];

function client(over: Partial<HttpClientOptions> = {}): HttpClient {
  const c = createHttpClient({
    userAgent: "PoickTest/1.0",
    headersTimeoutMs: 2_000,
    maxBodyBytes: 1_048_576,
    allowNets: parseCidrs(["127.0.0.0/8"]),
    lookup: web.lookup,
    clock: new FakeClock(),
    retries: 0,
    backoffMs: [5],
    ...over,
  });
  clients.push(c);
  return c;
}

const page = (res: http.ServerResponse, body: string, status = 200, headers: Record<string, string> = {}) =>
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", ...headers }).end(body);

/** What the static wiki leaves at an old address (as in the 2026 fixture's README). */
const stub = (target: string) => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Redirecting…</title>
<noscript><meta http-equiv="refresh" content="0; url=${target}"></noscript>
<script>window.location.replace("${target}" + window.location.hash);</script>
</head><body><p>Redirecting to <a href="${target}">${target}</a>…</p></body></html>`;

const verdictOf = (probe: ProbeResult, groupUrl = probe.url) =>
  classify({ groupUrl, probe, activity: null, now: new Date("2026-11-01T00:00:00Z"), dormantAfterDays: 365 });

beforeAll(async () => {
  web = await startTestWeb();
  web.route("wiki.poick.test", {
    "/moin/LocalUserGroups": (_req, res) => page(res, stub("../python/community/LocalUserGroups.html")),
    "/python/community/LocalUserGroups.html": (_req, res) =>
      page(res, "<html><body><h1>Local User Groups</h1><p>PySilesia</p></body></html>"),
    "/script-only": (_req, res) =>
      page(
        res,
        `<html><head><script>window.location.href = "/python/community/LocalUserGroups.html";</script></head><body></body></html>`,
      ),
    "/script-offsite": (_req, res) =>
      page(
        res,
        `<html><head><script>window.location = "https://casino.example.com/";</script></head><body></body></html>`,
      ),
    "/meta-offsite": (_req, res) =>
      page(
        res,
        `<html><head><meta http-equiv="refresh" content="0;URL='https://elsewhere.example.org/x'"></head></html>`,
      ),
    "/article": (_req, res) =>
      page(
        res,
        `<html><body><h1>Our group</h1><p>${"We meet monthly to talk about Python. ".repeat(20)}</p><script>if (old) window.location = "/new";</script></body></html>`,
      ),
    "/stub-a": (_req, res) => page(res, stub("/stub-b")),
    "/stub-b": (_req, res) => page(res, stub("/stub-a")),
    "/stub-1": (_req, res) => page(res, stub("/stub-2")),
    "/stub-2": (_req, res) => page(res, stub("/stub-3")),
    "/stub-3": (_req, res) => page(res, stub("/stub-4")),
    "/stub-4": (_req, res) => page(res, stub("/python/community/LocalUserGroups.html")),
  });
  web.route("www.poick.test", (_req, res) =>
    page(res, stub(web.url("wiki.poick.test", "/python/community/LocalUserGroups.html"))),
  );
  web.route("pug.poick.test", {
    "/fb": (_req, res) => res.writeHead(302, { location: "http://www.facebook.com/login/?next=/pug" }).end(),
    "/li": (_req, res) => res.writeHead(301, { location: "http://www.linkedin.com/authwall?trk=x" }).end(),
    "/group": (_req, res) =>
      res.writeHead(302, { location: web.url("www.facebook.com", "/groups/pug") }).end(),
    "/consent": (_req, res) =>
      res.writeHead(302, { location: "/check", "set-cookie": "seen=1; Path=/" }).end(),
    "/check": (_req, res) => res.writeHead(302, { location: "/consent" }).end(),
    "/plain-loop": (_req, res) => res.writeHead(302, { location: "/plain-loop2" }).end(),
    "/plain-loop2": (_req, res) => res.writeHead(302, { location: "/plain-loop" }).end(),
    "/busy": (_req, res) => page(res, "come back later", 503, { "retry-after": "5" }),
    "/cdn": (_req, res) => page(res, "origin unreachable", 522),
    "/broken": (_req, res) => page(res, "internal error", 500),
    "/hang": () => {},
    "/triple": (_req, res) => {
      const body = gzipSync(gzipSync(gzipSync("<html>hi</html>")));
      res.writeHead(200, { "content-type": "text/html", "content-encoding": "gzip, gzip, gzip" }).end(body);
    },
    "/double": (_req, res) => {
      const body = brotliCompressSync(gzipSync("<html>two layers</html>"));
      res.writeHead(200, { "content-type": "text/html", "content-encoding": "gzip, br" }).end(body);
    },
  });
  web.route("www.facebook.com", (_req, res) =>
    page(res, "<html><title>Python Group | Facebook</title></html>"),
  );
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await web.close();
});

describe("HTML redirect stubs", () => {
  it("follows the wiki's old-address stub (meta refresh in noscript) to the page", async () => {
    const r = await client().get(web.url("wiki.poick.test", "/moin/LocalUserGroups"));
    expect(r.error).toBeNull();
    expect(r.finalUrl).toBe(web.url("wiki.poick.test", "/python/community/LocalUserGroups.html"));
    expect(r.body).toContain("PySilesia");
    expect(r.hops.map((h) => [h.status, h.via ?? null])).toEqual([
      [200, "meta-refresh"],
      [200, null],
    ]);
  });

  it("follows a page whose only content is a location script to a relative URL", async () => {
    const r = await client().get(web.url("wiki.poick.test", "/script-only"));
    expect(r.finalUrl).toBe(web.url("wiki.poick.test", "/python/community/LocalUserGroups.html"));
    expect(r.hops[0]?.via).toBe("script");
  });

  it("follows a stub to another host of the same site", async () => {
    const r = await client().get(web.url("www.poick.test", "/"));
    expect(r.finalUrl).toBe(web.url("wiki.poick.test", "/python/community/LocalUserGroups.html"));
    expect(r.hops).toHaveLength(2);
  });

  it("does not follow stubs to other sites, absolute script targets, or scripts in real pages", async () => {
    for (const path of ["/meta-offsite", "/script-offsite", "/article"]) {
      const r = await client().get(web.url("wiki.poick.test", path));
      expect(r.finalUrl, path).toBe(web.url("wiki.poick.test", path));
      expect(r.hops, path).toHaveLength(1);
    }
  });

  it("stops a stub loop and caps the number of stubs", async () => {
    const loop = await client().get(web.url("wiki.poick.test", "/stub-a"));
    expect(loop.error?.code).toBe("redirect_loop");
    const chain = await client().get(web.url("wiki.poick.test", "/stub-1"));
    expect(chain.hops.filter((h) => h.via)).toHaveLength(3);
    expect(chain.finalUrl).toBe(web.url("wiki.poick.test", "/stub-4"));
    const off = await client().get(web.url("wiki.poick.test", "/moin/LocalUserGroups"), {
      followHtmlRedirects: false,
    });
    expect(off.finalUrl).toBe(web.url("wiki.poick.test", "/moin/LocalUserGroups"));
  });
});

describe("false-dead paths closed", () => {
  it("a custom domain ending on a Facebook or LinkedIn login page is a login wall (unknown)", async () => {
    for (const path of ["/fb", "/li"]) {
      const r = await client().get(web.url("pug.poick.test", path));
      expect(r.error?.code, path).toBe("login_wall");
      expect(verdictOf(r).status).toBe("unknown");
      expect(verdictOf(r).reason).toBe("login_wall");
    }
    expect(web.hits("www.facebook.com") + web.hits("www.linkedin.com")).toBe(0);
    const group = await client().get(web.url("pug.poick.test", "/group"));
    expect(group.error).toBeNull();
    expect(group.finalUrl).toBe(web.url("www.facebook.com", "/groups/pug"));
  });

  it("sees a cookie loop when an earlier hop set the cookie, not only the last", async () => {
    const r = await client().get(web.url("pug.poick.test", "/consent"));
    expect(r.error?.code).toBe("cookie_loop");
    expect(r.hops.at(-1)?.setCookie).toBeUndefined();
    expect(verdictOf(r).status).toBe("unknown");
    const plain = await client().get(web.url("pug.poick.test", "/plain-loop"));
    expect(plain.error?.code).toBe("redirect_loop");
    expect(verdictOf(plain).status).toBe("dead");
  });

  it("503 with Retry-After and a CDN 522 are retried, then transient (unknown); a plain 500 is not", async () => {
    const waits: number[] = [];
    const c = client({ retries: 2, sleep: async (ms) => void waits.push(ms) });
    const busy = await c.get(web.url("pug.poick.test", "/busy"));
    expect(busy.attempts).toBe(3);
    expect(waits).toEqual([5000, 5000]);
    expect(busy).toMatchObject({ status: 503, error: { code: "transient" }, retryAfterSec: 5 });
    expect(verdictOf(busy)).toMatchObject({ status: "unknown", reason: "server_busy" });
    const cdn = await c.get(web.url("pug.poick.test", "/cdn"));
    expect(cdn).toMatchObject({ status: 522, attempts: 3, error: { code: "transient" } });
    const broken = await c.get(web.url("pug.poick.test", "/broken"));
    expect(broken).toMatchObject({ status: 500, error: null });
    expect(verdictOf(broken).status).toBe("dead");
  });

  it("strips user:pass@ from every URL it reports", async () => {
    const url = web.url("pug.poick.test", "/broken").replace("http://", "http://admin:s3cret@");
    const r = await client().get(url);
    expect(r.status).toBe(500);
    expect(JSON.stringify(r)).not.toContain("s3cret");
    expect(r.url).toBe(web.url("pug.poick.test", "/broken"));
    expect(web.log.at(-1)?.headers.authorization).toBeUndefined();
  });

  it("one deadline covers all hops and retries", async () => {
    const c = client({ retries: 5, backoffMs: [60_000] });
    const controller = new AbortController();
    const pending = c.get(web.url("pug.poick.test", "/broken"), { signal: controller.signal });
    setTimeout(() => controller.abort(new DOMException("deadline", "TimeoutError")), 50);
    const r = await pending;
    expect(r.error?.code).toBe("timeout");
    expect(r.error?.message).toMatch(/whole check/);
    const hang = c.get(web.url("pug.poick.test", "/hang"), { signal: AbortSignal.timeout(100) });
    expect((await hang).error?.code).toBe("timeout");
  });
});

describe("bodies", () => {
  it("decodes two stacked content-encodings and refuses three as hostile", async () => {
    const two = await client().get(web.url("pug.poick.test", "/double"));
    expect(two.body).toBe("<html>two layers</html>");
    const three = await client().get(web.url("pug.poick.test", "/triple"));
    expect(three.error?.code).toBe("hostile_encoding");
    expect(three.body).toBeNull();
    expect(verdictOf(three).status).toBe("unknown");
  });

  it("refuses an over-cap body when asked to, instead of truncating it", async () => {
    web.route("big.poick.test", (_req, res) => page(res, "x".repeat(200_000)));
    const cut = await client().get(web.url("big.poick.test", "/"), { maxBodyBytes: 100_000 });
    expect(cut).toMatchObject({ truncated: true, error: null });
    expect(cut.body).toHaveLength(100_000);
    const refused = await client().get(web.url("big.poick.test", "/"), {
      maxBodyBytes: 100_000,
      overCap: "refuse",
    });
    expect(refused).toMatchObject({ body: null, error: { code: "too_large" } });
  });
});

describe("TLS a browser would accept", () => {
  it("a leaf sent without its intermediate is tls_chain (unknown); the full chain opens; self-signed is tls (dead)", async () => {
    const pki = await testPki();
    web.route("chain.poick.test", () => {});
    const bare = await startTlsSite(pki.leaf.key, pki.leaf.cert, "bare");
    const full = await startTlsSite(pki.leaf.key, pki.leaf.cert + pki.intermediate, "full");
    const self = await startTlsSite(pki.selfSigned.key, pki.selfSigned.cert, "self");
    try {
      const c = client({ ca: pki.root, retries: 2 });
      const ok = await c.get(`https://chain.poick.test:${full.port}/`);
      expect(ok).toMatchObject({ status: 200, body: "full", error: null });
      const missing = await c.get(`https://chain.poick.test:${bare.port}/`);
      expect(missing).toMatchObject({ status: null, attempts: 1, error: { code: "tls_chain" } });
      expect(verdictOf(missing)).toMatchObject({ status: "unknown", reason: "tls_incomplete_chain" });
      const selfSigned = await c.get(`https://chain.poick.test:${self.port}/`);
      expect(selfSigned.error?.code).toBe("tls");
      expect(verdictOf(selfSigned).status).toBe("dead");
    } finally {
      await Promise.all([bare.close(), full.close(), self.close()]);
    }
  });
});

/** A proxy that fails the way proxies do: 502 to plain requests, 502 or 407 to CONNECT. */
async function startFailingProxy(connectStatus: number): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) =>
    res.writeHead(502, { "content-type": "text/plain" }).end("bad gateway"),
  );
  server.on("connect", (_req, socket: net.Socket) => {
    socket.end(`HTTP/1.1 ${connectStatus} ${http.STATUS_CODES[connectStatus]}\r\ncontent-length: 0\r\n\r\n`);
  });
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

describe("our proxy's failures are ours", () => {
  it("a proxy that refuses, answers 502 itself, or fails CONNECT with 502/407: proxy, unknown", async () => {
    const refused = await client({ proxy: { http: "http://127.0.0.1:9" } }).get(
      web.url("pug.poick.test", "/broken"),
    );
    expect(refused.error?.code).toBe("proxy");
    expect(verdictOf(refused).reason).toBe("proxy_error");
    for (const status of [502, 407]) {
      const proxy = await startFailingProxy(status);
      try {
        const c = client({ proxy: { http: proxy.url, https: proxy.url } });
        const plain = await c.get(web.url("pug.poick.test", "/broken"));
        expect(plain.error?.code).toBe("proxy");
        const tunnel = await c.get(web.url("pug.poick.test", "/", { https: true }));
        expect(tunnel.error?.code, `CONNECT ${status}`).toBe("proxy");
        expect(verdictOf(tunnel).status).toBe("unknown");
      } finally {
        await proxy.close();
      }
    }
  });

  it("a working proxy still lets the site's own 500 through as the site's", async () => {
    const proxy = await startForwardProxy(web.lookup);
    try {
      const r = await client({ proxy: { http: proxy.url } }).get(web.url("pug.poick.test", "/broken"));
      expect(r).toMatchObject({ status: 500, error: null });
    } finally {
      await proxy.close();
    }
  });
});
