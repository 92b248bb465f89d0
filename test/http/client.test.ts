import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeText } from "../../src/http/charset.js";
import { createHttpClient, type HttpClientOptions } from "../../src/http/client.js";
import { type LookupFn, parseCidrs } from "../../src/http/guard.js";
import { HostLimiter } from "../../src/http/limiter.js";
import { bypassesProxy } from "../../src/http/proxy.js";
import { createProber, fetchText, type Prober } from "../../src/liveness/probe.js";
import { FakeClock } from "../helpers/clock.js";
import { startForwardProxy, startTestWeb, type TestWeb } from "../helpers/web.js";

const LOOPBACK = parseCidrs(["127.0.0.0/8"]);
const POLISH = "Zażółć gęślą jaźń - Śląsk, Łódź, Źródło, Żółw";
const MB = 1_048_576;

let web: TestWeb;
const clients: { close(): Promise<void> }[] = [];
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A prober over a fresh HTTP client; `timeoutMs` is the headers timeout. */
function prober(over: Partial<HttpClientOptions> & { timeoutMs?: number } = {}): Prober {
  const { timeoutMs = 2_000, ...rest } = over;
  const client = createHttpClient({
    userAgent: "PoickTest/1.0 (+https://example.org/poick)",
    headersTimeoutMs: timeoutMs,
    maxBodyBytes: MB,
    allowNets: LOOPBACK,
    lookup: web.lookup,
    clock: new FakeClock(),
    retries: 0,
    backoffMs: [20, 40],
    ...rest,
  });
  clients.push(client);
  return createProber(client);
}

/** Encodes text in a single-byte legacy charset by inverting its decoder. */
function encodeLegacy(text: string, label: string): Buffer {
  const decoder = new TextDecoder(label);
  const table = new Map<string, number>();
  for (let b = 0; b < 256; b++) table.set(decoder.decode(Uint8Array.of(b)), b);
  return Buffer.from(
    [...text].map((ch) => {
      const byte = table.get(ch);
      if (byte === undefined) throw new Error(`${ch} is not in ${label}`);
      return byte;
    }),
  );
}

function html(
  res: http.ServerResponse,
  body: string | Buffer,
  type = "text/html; charset=utf-8",
  status = 200,
) {
  res.writeHead(status, { "content-type": type }).end(body);
}

function redirect(res: http.ServerResponse, location: string, status = 302) {
  res.writeHead(status, { location, "content-type": "text/html" }).end(`<a href="${location}">moved</a>`);
}

/** Streams `total` bytes of HTML-ish filler, honouring backpressure; `sent` counts what the socket took. */
function streamBytes(total: number, stats: { sent: number }) {
  const chunk = Buffer.alloc(64 * 1024, "a");
  return (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { "content-type": "text/html", "content-length": String(total) });
    let closed = false;
    res.on("close", () => {
      closed = true;
    });
    const pump = () => {
      while (!closed && stats.sent < total) {
        stats.sent += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      if (!closed) res.end();
    };
    pump();
  };
}

function heapish(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

beforeAll(async () => {
  web = await startTestWeb();
  web.route("ok.poick.test", (_req, res) => html(res, "<html><title>PyGroup</title><h1>Hello</h1></html>"));
  web.route("r.poick.test", {
    "/start": (_req, res) => redirect(res, "/middle", 301),
    "/middle": (_req, res) => redirect(res, "../end?x=1", 302),
    "/end": (_req, res) => redirect(res, web.url("ok.poick.test", "/"), 308),
    "/loop-a": (_req, res) => redirect(res, "/loop-b"),
    "/loop-b": (_req, res) => redirect(res, "/loop-a"),
    "/to-ip": (_req, res) => redirect(res, "http://10.0.0.5/admin"),
    "/to-mapped": (_req, res) => redirect(res, "http://[::ffff:10.0.0.5]/"),
    "/to-bait": (_req, res) => redirect(res, web.url("bait.poick.test", "/")),
    "/to-alt": (_req, res) => redirect(res, web.url("alt.poick.test", "/")),
    "/to-js": (_req, res) => redirect(res, "javascript:alert(1)"),
    "/to-ftp": (_req, res) => redirect(res, "ftp://files.example.com/pub"),
    "/no-location": (_req, res) => res.writeHead(302).end(),
  });
  web.route("chain.poick.test", (req, res) => {
    const n = Number(new URL(req.url ?? "/", "http://x").searchParams.get("n") ?? 0);
    redirect(res, `/?n=${n + 1}`);
  });
  web.route("bait.poick.test", (_req, res) => html(res, "bait"));
  web.resolve("bait.poick.test", "10.0.0.5");
  web.route("alt.poick.test", (_req, res) => html(res, "alt"));
  if (web.altAddress) web.resolve("alt.poick.test", web.altAddress);
  web.route("front.poick.test", {
    "/": (_req, res) => redirect(res, `http://127.0.0.1:${web.httpPort}/`),
  });
  if (web.altAddress) web.resolve("front.poick.test", web.altAddress);
  web.route("127.0.0.1", (_req, res) => html(res, "loopback"));
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await web?.close();
});

describe("probe: pages and redirects", () => {
  it("fetches a page with status, headers, body, timings and our User-Agent", async () => {
    const r = await prober().probe(web.url("ok.poick.test", "/"));
    expect(r.error).toBeNull();
    expect(r.status).toBe(200);
    expect(r.finalUrl).toBe(web.url("ok.poick.test", "/"));
    expect(r.contentType).toBe("text/html");
    expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(r.body).toContain("<h1>Hello</h1>");
    expect(r.truncated).toBe(false);
    expect(r.attempts).toBe(1);
    expect(r.hops).toEqual([{ url: r.finalUrl, status: 200, location: null, ms: expect.any(Number) }]);
    expect(r.timings.ttfbMs).toBeGreaterThanOrEqual(0);
    expect(r.timings.totalMs).toBeGreaterThanOrEqual(r.timings.ttfbMs!);
    const hit = web.log.findLast((h) => h.host === "ok.poick.test")!;
    expect(hit.headers["user-agent"]).toBe("PoickTest/1.0 (+https://example.org/poick)");
    expect(hit.method).toBe("GET");
  });

  it("follows a redirect chain by hand, resolving relative Locations", async () => {
    const r = await prober().probe(web.url("r.poick.test", "/start"));
    expect(r.error).toBeNull();
    expect(r.status).toBe(200);
    expect(r.hops.map((h) => [h.url, h.status, h.location])).toEqual([
      [web.url("r.poick.test", "/start"), 301, "/middle"],
      [web.url("r.poick.test", "/middle"), 302, "../end?x=1"],
      [web.url("r.poick.test", "/end?x=1"), 308, web.url("ok.poick.test", "/")],
      [web.url("ok.poick.test", "/"), 200, null],
    ]);
    expect(r.finalUrl).toBe(web.url("ok.poick.test", "/"));
    expect(r.body).toContain("Hello");
  });

  it("detects a redirect loop", async () => {
    const r = await prober().probe(web.url("r.poick.test", "/loop-a"));
    expect(r.error?.code).toBe("redirect_loop");
    expect(r.hops).toHaveLength(2);
    expect(r.status).toBe(302);
  });

  it("stops after maxRedirects hops", async () => {
    const before = web.hits("chain.poick.test");
    const r = await prober().probe(web.url("chain.poick.test", "/?n=0"));
    expect(r.error?.code).toBe("too_many_redirects");
    expect(r.hops).toHaveLength(11);
    expect(web.hits("chain.poick.test") - before).toBe(11);
    const three = await prober({ maxRedirects: 3 }).probe(web.url("chain.poick.test", "/?n=0"));
    expect(three.error?.code).toBe("too_many_redirects");
    expect(three.hops).toHaveLength(4);
  });

  it("refuses to follow redirects to non-web schemes", async () => {
    const js = await prober().probe(web.url("r.poick.test", "/to-js"));
    expect(js.error?.code).toBe("bad_url");
    const ftp = await prober().probe(web.url("r.poick.test", "/to-ftp"));
    expect(ftp.error?.code).toBe("bad_url");
    expect(ftp.hops.at(-1)?.location).toBe("ftp://files.example.com/pub");
  });

  it("treats a 3xx without Location as the final answer", async () => {
    const r = await prober().probe(web.url("r.poick.test", "/no-location"));
    expect(r.error).toBeNull();
    expect(r.status).toBe(302);
    expect(r.hops).toHaveLength(1);
  });

  it("rejects input that is not an http(s) URL", async () => {
    for (const bad of ["not a url", "mailto:pug@example.com", "javascript:alert(1)", "file:///etc/passwd"]) {
      const r = await prober().probe(bad);
      expect(r.error?.code, bad).toBe("bad_url");
      expect(r.attempts).toBe(0);
      expect(r.hops).toEqual([]);
    }
  });

  it("does not read bodies that are not text", async () => {
    web.route("img.poick.test", (_req, res) =>
      res.writeHead(200, { "content-type": "image/png" }).end(Buffer.alloc(5000)),
    );
    const r = await prober().probe(web.url("img.poick.test", "/logo.png"));
    expect(r.status).toBe(200);
    expect(r.contentType).toBe("image/png");
    expect(r.body).toBeNull();
    expect(r.error).toBeNull();
  });
});

describe("probe: the address guard", () => {
  it("stops at a redirect to a private IP literal, mapped or not", async () => {
    for (const path of ["/to-ip", "/to-mapped"]) {
      const r = await prober().probe(web.url("r.poick.test", path));
      expect(r.error?.code, path).toBe("forbidden_address");
      expect(r.status).toBeNull();
      expect(r.hops).toHaveLength(2);
      expect(r.hops[1]?.status).toBeNull();
    }
  });

  it("stops at a redirect to a name that resolves to 10.0.0.5", async () => {
    const r = await prober().probe(web.url("r.poick.test", "/to-bait"));
    expect(r.error?.code).toBe("forbidden_address");
    expect(r.finalUrl).toBe(web.url("bait.poick.test", "/"));
    expect(web.hits("bait.poick.test")).toBe(0);
  });

  it("does not visit loopback when loopback is not allowed", async () => {
    const before = web.hits("ok.poick.test");
    const r = await prober({ allowNets: [] }).probe(web.url("ok.poick.test", "/"));
    expect(r.error?.code).toBe("forbidden_address");
    expect(web.hits("ok.poick.test")).toBe(before);
    const literal = await prober({ allowNets: [] }).probe(`http://127.0.0.1:${web.httpPort}/`);
    expect(literal.error?.code).toBe("forbidden_address");
    expect(web.hits("127.0.0.1")).toBe(0);
  });

  it("stops a redirect from an allowed address to 127.0.0.1", async () => {
    if (!web.altAddress) return;
    const onlyAlt = parseCidrs([`${web.altAddress}/32`]);
    const r = await prober({ allowNets: onlyAlt }).probe(web.url("front.poick.test", "/"));
    expect(r.hops[0]?.status).toBe(302);
    expect(r.error?.code).toBe("forbidden_address");
    expect(web.hits("front.poick.test")).toBeGreaterThan(0);
    expect(web.hits("127.0.0.1")).toBe(0);
  });

  it("only the allow list decides: the same redirect reaches the bait when its network is allowed", async () => {
    if (!web.altAddress) return;
    const blocked = await prober({ allowNets: parseCidrs(["127.0.0.1/32"]) }).probe(
      web.url("r.poick.test", "/to-alt"),
    );
    expect(blocked.error?.code).toBe("forbidden_address");
    expect(web.hits("alt.poick.test")).toBe(0);
    const allowed = await prober().probe(web.url("r.poick.test", "/to-alt"));
    expect(allowed.status).toBe(200);
    expect(allowed.body).toBe("alt");
    expect(web.log.find((h) => h.host === "alt.poick.test")?.localAddress).toBe(web.altAddress);
  });

  it("checks again at connect time, so DNS rebinding after the pre-check is stopped", async () => {
    if (!web.altAddress) return;
    let calls = 0;
    web.route("rebind.poick.test", (_req, res) => html(res, "rebound"));
    const rebinding: LookupFn = (hostname, options, callback) => {
      calls++;
      // First answer (the pre-check) is allowed; every later one points elsewhere.
      const address = calls === 1 ? "127.0.0.1" : web.altAddress!;
      if (options.all) callback(null, [{ address, family: 4 }]);
      else callback(null, address, 4);
      void hostname;
    };
    const r = await prober({ allowNets: parseCidrs(["127.0.0.1/32"]), lookup: rebinding }).probe(
      web.url("rebind.poick.test", "/"),
    );
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(r.error?.code).toBe("forbidden_address");
    expect(web.hits("rebind.poick.test")).toBe(0);
  });
});

describe("probe: bodies", () => {
  it("reads at most maxBodyBytes of a 50 MB body and hangs up", async () => {
    const stats = { sent: 0 };
    web.route("big.poick.test", streamBytes(50 * MB, stats));
    const heapBefore = heapish();
    const t0 = performance.now();
    const r = await prober().probe(web.url("big.poick.test", "/"));
    const ms = performance.now() - t0;
    expect(r.error).toBeNull();
    expect(r.status).toBe(200);
    expect(r.truncated).toBe(true);
    expect(r.body).toHaveLength(MB);
    expect(ms).toBeLessThan(3_000);
    await sleep(50);
    // The server could only push what the socket buffers took before we hung up.
    expect(stats.sent).toBeLessThan(16 * MB);
    expect(heapish() - heapBefore).toBeLessThan(24 * MB);
  });

  it("caps decompressed bytes: a gzip bomb yields maxBodyBytes, not gigabytes", async () => {
    const member = gzipSync(Buffer.alloc(4 * MB, " "), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 256 }, () => member)); // 1 GB inflated
    expect(bomb.length).toBeLessThan(2 * MB);
    web.route("bomb.poick.test", (_req, res) =>
      res.writeHead(200, { "content-type": "text/html", "content-encoding": "gzip" }).end(bomb),
    );
    const heapBefore = heapish();
    const t0 = performance.now();
    const r = await prober().probe(web.url("bomb.poick.test", "/"));
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(r.error).toBeNull();
    expect(r.truncated).toBe(true);
    expect(r.body).toHaveLength(MB);
    expect(heapish() - heapBefore).toBeLessThan(24 * MB);
  });

  it("decodes gzip, deflate and brotli bodies", async () => {
    const text = `<p>${POLISH}</p>`;
    const encoders: Record<string, (b: Buffer) => Buffer> = {
      gzip: (b) => gzipSync(b),
      deflate: (b) => deflateSync(b),
      br: (b) => brotliCompressSync(b),
    };
    for (const [coding, encode] of Object.entries(encoders)) {
      web.route(`${coding}.poick.test`, (_req, res) =>
        res
          .writeHead(200, { "content-type": "text/html; charset=utf-8", "content-encoding": coding })
          .end(encode(Buffer.from(text))),
      );
      const r = await prober().probe(web.url(`${coding}.poick.test`, "/"));
      expect(r.body, coding).toBe(text);
    }
  });

  it("decodes windows-1250 and iso-8859-2 from the Content-Type charset", async () => {
    const cp1250 = encodeLegacy(POLISH, "windows-1250");
    const latin2 = encodeLegacy(POLISH, "iso-8859-2");
    // The two encodings put "ś" at different bytes, so a wrong guess shows.
    expect(cp1250.includes(0x9c)).toBe(true);
    expect(latin2.includes(0xb6)).toBe(true);
    web.route("cp1250.poick.test", (_req, res) => html(res, cp1250, "text/html; charset=windows-1250"));
    web.route("latin2.poick.test", (_req, res) => html(res, latin2, 'text/html; charset="ISO-8859-2"'));
    expect((await prober().probe(web.url("cp1250.poick.test", "/"))).body).toBe(POLISH);
    expect((await prober().probe(web.url("latin2.poick.test", "/"))).body).toBe(POLISH);
  });

  it("sniffs <meta charset> and http-equiv when the header has no charset", async () => {
    const page = (head: string, label: string) =>
      Buffer.concat([
        Buffer.from(`<!doctype html><html><head>${head}<title>x</title></head><body>`),
        encodeLegacy(POLISH, label),
        Buffer.from("</body></html>"),
      ]);
    web.route("meta.poick.test", {
      "/charset": (_req, res) =>
        html(res, page('<meta charset="windows-1250">', "windows-1250"), "text/html"),
      "/equiv": (_req, res) =>
        html(
          res,
          page('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2">', "iso-8859-2"),
          "text/html",
        ),
      "/bogus": (_req, res) => html(res, `<meta charset="no-such-charset">${POLISH}`, "text/html"),
    });
    expect((await prober().probe(web.url("meta.poick.test", "/charset"))).body).toContain(POLISH);
    expect((await prober().probe(web.url("meta.poick.test", "/equiv"))).body).toContain(POLISH);
    expect((await prober().probe(web.url("meta.poick.test", "/bogus"))).body).toContain(POLISH);
  });

  it("lets the header charset win over meta, and a BOM over both", () => {
    const cp1250 = encodeLegacy(POLISH, "windows-1250");
    const withMeta = Buffer.concat([Buffer.from('<meta charset="iso-8859-2">'), cp1250]);
    expect(decodeText(withMeta, "text/html; charset=windows-1250")).toContain(POLISH);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(POLISH)]);
    expect(decodeText(bom, "text/html; charset=windows-1250")).toBe(POLISH);
    expect(decodeText(Buffer.from(POLISH), undefined)).toBe(POLISH);
  });

  it("ends a slow-drip body at the body timeout and keeps what arrived", async () => {
    web.route("drip.poick.test", (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.write("<html><body>");
      const timer = setInterval(() => res.write("drip "), 40);
      res.on("close", () => clearInterval(timer));
    });
    const t0 = performance.now();
    const r = await prober({ timeoutMs: 1_000, bodyTimeoutMs: 400 }).probe(web.url("drip.poick.test", "/"));
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(380);
    expect(ms).toBeLessThan(1_200);
    expect(r.error).toBeNull();
    expect(r.status).toBe(200);
    expect(r.truncated).toBe(true);
    expect(r.body).toMatch(/^<html><body>(drip )+/);
  });
});

describe("probe: network failures are results", () => {
  it("times out on a server that never answers", async () => {
    web.route("hang.poick.test", () => {
      // never answer; web.close() destroys the socket
    });
    const t0 = performance.now();
    const r = await prober({ timeoutMs: 500 }).probe(web.url("hang.poick.test", "/"));
    const ms = performance.now() - t0;
    expect(r.error?.code).toBe("timeout");
    expect(r.status).toBeNull();
    expect(ms).toBeGreaterThanOrEqual(480);
    expect(ms).toBeLessThan(1_000);
  });

  it("reports a refused connection", async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    web.route("closed.poick.test", () => {});
    const r = await prober().probe(`http://closed.poick.test:${port}/`);
    expect(r.error?.code).toBe("refused");
    expect(r.hops).toEqual([
      { url: `http://closed.poick.test:${port}/`, status: null, location: null, ms: expect.any(Number) },
    ]);
  });

  it("reports a name that does not exist, without retrying", async () => {
    const r = await prober({ retries: 2 }).probe("http://no-such-group.poick.test/");
    expect(r.error?.code).toBe("dns_nxdomain");
    expect(r.attempts).toBe(1);
  });

  it("reports a connection cut before the response", async () => {
    web.route("cut.poick.test", (req) => req.socket.destroy());
    const r = await prober().probe(web.url("cut.poick.test", "/"));
    expect(r.error?.code).toBe("reset");
  });
});

describe("probe: TLS", () => {
  it("trusts the test CA when it is passed", async () => {
    web.route("secure.poick.test", (_req, res) => html(res, "secure page"));
    const r = await prober({ ca: web.ca }).probe(web.url("secure.poick.test", "/", { https: true }));
    expect(r.error).toBeNull();
    expect(r.status).toBe(200);
    expect(r.body).toBe("secure page");
  });

  it("reports an untrusted issuer as tls_chain without the CA, and does not retry", async () => {
    // The test web sends its leaf alone: without its CA this is what a missing intermediate looks like.
    const r = await prober({ retries: 2 }).probe(web.url("secure.poick.test", "/", { https: true }));
    expect(r.error?.code).toBe("tls_chain");
    expect(r.attempts).toBe(1);
  });

  it("reports tls when the certificate is for another name", async () => {
    web.route("wrongname.test", (_req, res) => html(res, "x"));
    const r = await prober({ ca: web.ca }).probe(web.url("wrongname.test", "/", { https: true }));
    expect(r.error?.code).toBe("tls");
  });
});

describe("probe: retries", () => {
  it("recovers from a 503 on the second attempt", async () => {
    let n = 0;
    web.route("flaky.poick.test", (_req, res) =>
      ++n === 1 ? html(res, "down", "text/html", 503) : html(res, "up"),
    );
    const waits: number[] = [];
    const r = await prober({ retries: 2, sleep: async (ms) => void waits.push(ms) }).probe(
      web.url("flaky.poick.test", "/"),
    );
    expect(r.status).toBe(200);
    expect(r.body).toBe("up");
    expect(r.attempts).toBe(2);
    expect(waits).toEqual([20]);
  });

  it("gives the 503 back after the retries run out, with growing backoff", async () => {
    web.route("down.poick.test", (_req, res) => html(res, "maintenance", "text/html", 503));
    const before = web.hits("down.poick.test");
    const waits: number[] = [];
    const r = await prober({ retries: 3, sleep: async (ms) => void waits.push(ms) }).probe(
      web.url("down.poick.test", "/"),
    );
    expect(r.status).toBe(503);
    expect(r.error).toBeNull();
    expect(r.body).toBe("maintenance");
    expect(r.attempts).toBe(4);
    expect(web.hits("down.poick.test") - before).toBe(4);
    expect(waits).toEqual([20, 40, 40]);
  });

  it("retries network errors", async () => {
    let n = 0;
    web.route("reset-once.poick.test", (req, res) => (++n === 1 ? req.socket.destroy() : html(res, "fine")));
    const r = await prober({ retries: 1 }).probe(web.url("reset-once.poick.test", "/"));
    expect(r.status).toBe(200);
    expect(r.attempts).toBe(2);
  });

  it("waits out a 429 Retry-After, then succeeds", async () => {
    let n = 0;
    web.route("busy.poick.test", (_req, res) => {
      if (++n === 1)
        res.writeHead(429, { "retry-after": "1", "content-type": "text/plain" }).end("slow down");
      else html(res, "welcome");
    });
    const waits: number[] = [];
    const t0 = performance.now();
    const r = await prober({
      retries: 1,
      sleep: (ms) => {
        waits.push(ms);
        return sleep(ms);
      },
    }).probe(web.url("busy.poick.test", "/"));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(990);
    expect(waits).toEqual([1000]);
    expect(r.status).toBe(200);
    expect(r.attempts).toBe(2);
  });

  it("reads Retry-After as an HTTP date against the clock", async () => {
    const clock = new FakeClock("2026-11-01T12:00:00Z");
    let n = 0;
    web.route("dated.poick.test", (_req, res) => {
      if (++n === 1) res.writeHead(429, { "retry-after": "Sun, 01 Nov 2026 12:00:05 GMT" }).end();
      else html(res, "ok");
    });
    const waits: number[] = [];
    const r = await prober({ clock, retries: 1, sleep: async (ms) => void waits.push(ms) }).probe(
      web.url("dated.poick.test", "/"),
    );
    expect(waits).toEqual([5000]);
    expect(r.status).toBe(200);
  });

  it("gives up on a Retry-After beyond the cap and reports it", async () => {
    web.route("later.poick.test", (_req, res) => res.writeHead(429, { "retry-after": "3600" }).end());
    const waits: number[] = [];
    const r = await prober({ retries: 2, sleep: async (ms) => void waits.push(ms) }).probe(
      web.url("later.poick.test", "/"),
    );
    expect(r.status).toBe(429);
    expect(r.retryAfterSec).toBe(3600);
    expect(r.attempts).toBe(1);
    expect(waits).toEqual([]);
  });
});

describe("probe: politeness and proxies", () => {
  it("sends each request through the limiter", async () => {
    let inFlight = 0;
    let max = 0;
    web.route("slow.poick.test", (_req, res) => {
      max = Math.max(max, ++inFlight);
      setTimeout(() => {
        inFlight--;
        html(res, "slow");
      }, 30);
    });
    const limiter = new HostLimiter({ perHostConcurrency: 1, perHostPerSecond: 1000 });
    const p = prober({ limiter });
    const results = await Promise.all(
      Array.from({ length: 4 }, () => p.probe(web.url("slow.poick.test", "/"))),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(max).toBe(1);
  });

  it("goes through the HTTP proxy, unless the host is in noProxy", async () => {
    const proxy = await startForwardProxy(web.lookup);
    try {
      const before = web.hits("ok.poick.test");
      const via = await prober({ proxy: { http: proxy.url } }).probe(web.url("ok.poick.test", "/via"));
      expect(via.status).toBe(200);
      expect(via.body).toContain("Hello");
      expect(proxy.requests).toEqual([web.url("ok.poick.test", "/via")]);
      expect(web.log.at(-1)?.headers.via).toBe("1.1 poick-test-proxy");

      const direct = await prober({ proxy: { http: proxy.url, noProxy: "localhost, .poick.test" } }).probe(
        web.url("ok.poick.test", "/"),
      );
      expect(direct.status).toBe(200);
      expect(proxy.requests).toHaveLength(1);
      expect(web.hits("ok.poick.test") - before).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it("tunnels HTTPS through the proxy with CONNECT, still checking the certificate", async () => {
    web.route("tunnel.poick.test", (_req, res) => html(res, "tunnelled"));
    const proxy = await startForwardProxy(web.lookup);
    try {
      const target = web.url("tunnel.poick.test", "/", { https: true });
      const ok = await prober({ ca: web.ca, proxy: { https: proxy.url } }).probe(target);
      expect(ok.error).toBeNull();
      expect(ok.body).toBe("tunnelled");
      expect(proxy.requests).toEqual([`CONNECT tunnel.poick.test:${web.httpsPort}`]);
      const untrusted = await prober({ proxy: { https: proxy.url } }).probe(target);
      expect(untrusted.error?.code).toBe("tls_chain");
      const wrongName = await prober({ ca: web.ca, proxy: { https: proxy.url } }).probe(
        web.url("wrongname.test", "/", { https: true }),
      );
      expect(wrongName.error?.code).toBe("tls");
    } finally {
      await proxy.close();
    }
  });

  it("still applies the guard before handing a request to the proxy", async () => {
    const proxy = await startForwardProxy(web.lookup);
    try {
      const r = await prober({ proxy: { http: proxy.url } }).probe(web.url("r.poick.test", "/to-bait"));
      expect(r.error?.code).toBe("forbidden_address");
      expect(proxy.requests).toEqual([web.url("r.poick.test", "/to-bait")]);
    } finally {
      await proxy.close();
    }
  });

  it("reports a dead proxy as proxy", async () => {
    const r = await prober({ proxy: { http: "http://127.0.0.1:9" } }).probe(web.url("ok.poick.test", "/"));
    expect(r.error?.code).toBe("proxy");
  });

  it("matches NO_PROXY entries like curl", () => {
    const u = (s: string) => new URL(s);
    expect(bypassesProxy(u("http://a.example.com/"), "example.com")).toBe(true);
    expect(bypassesProxy(u("http://example.com/"), ".example.com")).toBe(true);
    expect(bypassesProxy(u("http://notexample.com/"), "example.com")).toBe(false);
    expect(bypassesProxy(u("http://a.example.com:8080/"), "example.com:8080")).toBe(true);
    expect(bypassesProxy(u("http://a.example.com/"), "example.com:8080")).toBe(false);
    expect(bypassesProxy(u("http://10.1.2.3/"), "10.0.0.0/8")).toBe(true);
    expect(bypassesProxy(u("http://[::1]/"), "::1")).toBe(true);
    expect(bypassesProxy(u("http://anything/"), "*")).toBe(true);
    expect(bypassesProxy(u("http://anything/"), undefined)).toBe(false);
  });
});

describe("fetchText", () => {
  it("fetches a linked feed with the same guard and cap", async () => {
    web.route("feeds.poick.test", {
      "/events.ics": (_req, res) =>
        res
          .writeHead(200, { "content-type": "text/calendar; charset=utf-8" })
          .end("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
      "/gone.ics": (_req, res) => res.writeHead(404).end(),
    });
    const p = prober();
    const ok = await fetchText(p, web.url("feeds.poick.test", "/events.ics"));
    expect(ok).toMatchObject({ ok: true, contentType: "text/calendar", truncated: false });
    expect(ok.ok && ok.text).toContain("BEGIN:VCALENDAR");
    expect(web.log.at(-1)?.headers.accept).toContain("text/calendar");
    const gone = await fetchText(p, web.url("feeds.poick.test", "/gone.ics"));
    expect(gone).toMatchObject({ ok: false, result: { status: 404 } });
    const bait = await fetchText(p, web.url("bait.poick.test", "/feed.xml"));
    expect(bait).toMatchObject({ ok: false, result: { error: { code: "forbidden_address" } } });
  });
});
