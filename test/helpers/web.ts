import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LookupAddress, LookupFn } from "../../src/http/guard.js";

/**
 * The loopback test web: one HTTP and one HTTPS server on 127.0.0.1 (and the same ports on
 * 127.0.0.2 where the system allows it), virtual hosts by Host header, and a `lookup` that
 * sends registered names to loopback. HTTPS names covered by the test certificate:
 * localhost, *.poick.test, *.example.com, *.example.org, secure.test, 127.0.0.1.
 */

/** A node:http handler; whatever it returns is ignored (a returned promise is awaited for errors). */
export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => unknown;

export interface Hit {
  host: string;
  path: string;
  method: string;
  https: boolean;
  /** The loopback address the request arrived on. */
  localAddress: string;
  headers: http.IncomingHttpHeaders;
}

export interface TestWeb {
  readonly httpPort: number;
  readonly httpsPort: number;
  /** A second loopback address serving the same routes on the same ports, or null if unavailable. */
  readonly altAddress: string | null;
  /** PEM of the test CA that signed the HTTPS certificate. */
  readonly ca: string;
  /** Every request that reached a server, in order. */
  readonly log: readonly Hit[];
  /**
   * Serves `host` (exact or `*.suffix`) with one handler, or a map from path (`/a`, or `*` for the
   * rest) to handlers. A routed host resolves to 127.0.0.1 unless `resolve` says otherwise.
   */
  route(host: string, handler: Handler | Record<string, Handler>): void;
  /** Makes `lookup` answer `host` (exact or `*.suffix`) with these addresses: bait for the guard. */
  resolve(host: string, ...addresses: string[]): void;
  /** Requests that arrived with this Host (name or IP literal, without port). */
  hits(host: string): number;
  /** A `dns.lookup`-compatible function: routed/resolved names → their addresses, others → ENOTFOUND. */
  readonly lookup: LookupFn;
  url(host: string, path?: string, opts?: { https?: boolean }): string;
  close(): Promise<void>;
}

interface TlsFiles {
  ca: string;
  key: string;
  cert: string;
}

const SANS = [
  "DNS:localhost",
  "DNS:*.poick.test",
  "DNS:*.example.com",
  "DNS:*.example.org",
  "DNS:secure.test",
  "IP:127.0.0.1",
  "IP:::1",
];

let tlsFiles: Promise<TlsFiles> | null = null;

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, { cwd }, (err, _out, stderr) =>
      err ? reject(new Error(`openssl ${args[0]} failed: ${stderr || err.message}`)) : resolve(),
    );
  });
}

/** A throwaway CA and a leaf certificate for the SANs above, made once per process. */
function testTls(): Promise<TlsFiles> {
  tlsFiles ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "poick-web-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    await openssl(
      [
        "req",
        "-x509",
        ...ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Poick Test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ],
      dir,
    );
    await openssl(
      ["req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=poick test web"],
      dir,
    );
    await writeFile(
      join(dir, "leaf.ext"),
      [
        "basicConstraints=CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        `subjectAltName=${SANS.join(",")}`,
      ].join("\n"),
    );
    await openssl(
      [
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
      ],
      dir,
    );
    const [ca, key, cert] = await Promise.all(
      ["ca.pem", "leaf.key", "leaf.pem"].map((f) => readFile(join(dir, f), "utf8")),
    );
    return { ca: ca!, key: key!, cert: cert! };
  })();
  return tlsFiles;
}

function matchesHost(pattern: string, host: string): boolean {
  if (pattern.startsWith("*.")) return host.endsWith(pattern.slice(1));
  return pattern === host;
}

function findByHost<T>(map: Map<string, T>, host: string): T | undefined {
  const exact = map.get(host);
  if (exact !== undefined) return exact;
  for (const [pattern, value] of map) if (matchesHost(pattern, host)) return value;
  return undefined;
}

function hostOf(req: http.IncomingMessage): string {
  const raw = (req.headers.host ?? "").toLowerCase();
  return raw.startsWith("[") ? raw.slice(1, raw.indexOf("]")) : raw.replace(/:\d+$/, "");
}

function listen(server: net.Server, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    server.listen(port, address, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

const openSockets = new WeakMap<net.Server, Set<net.Socket>>();

/** Remembers every socket (tunnels and TLS included) so closing never waits for a client. */
function trackSockets<S extends net.Server>(server: S): S {
  const sockets = new Set<net.Socket>();
  openSockets.set(server, sockets);
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return server;
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    for (const socket of openSockets.get(server) ?? []) socket.destroy();
  });
}

function notFound(res: http.ServerResponse): void {
  res.writeHead(404, { "content-type": "text/plain" }).end("no route in the test web");
}

const ALT_ADDRESS = "127.0.0.2";

export async function startTestWeb(): Promise<TestWeb> {
  const tls = await testTls();
  const routes = new Map<string, Handler | Record<string, Handler>>();
  const addresses = new Map<string, string[]>();
  const log: Hit[] = [];

  const dispatch = (secure: boolean) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const host = hostOf(req);
    const path = new URL(req.url ?? "/", "http://x").pathname;
    log.push({
      host,
      path,
      method: req.method ?? "GET",
      https: secure,
      localAddress: req.socket.localAddress ?? "",
      headers: req.headers,
    });
    const route = findByHost(routes, host);
    const handler = typeof route === "function" ? route : (route?.[path] ?? route?.["*"]);
    if (!handler) return notFound(res);
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(err));
      });
  };

  const servers: http.Server[] = [];
  const make = (secure: boolean): http.Server => {
    const server = secure
      ? https.createServer({ key: tls.key, cert: tls.cert }, dispatch(true))
      : http.createServer(dispatch(false));
    server.keepAliveTimeout = 1000;
    servers.push(trackSockets(server));
    return server;
  };

  /** One port on 127.0.0.1 and, when the system lets us, the same port on the alternative address. */
  const listenPair = async (secure: boolean): Promise<{ port: number; alt: boolean }> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const main = make(secure);
      const port = await listen(main, 0, "127.0.0.1");
      try {
        await listen(make(secure), port, ALT_ADDRESS);
        return { port, alt: true };
      } catch {
        await closeServer(main);
      }
    }
    return { port: await listen(make(secure), 0, "127.0.0.1"), alt: false };
  };
  const plain = await listenPair(false);
  const secure = await listenPair(true);
  const httpPort = plain.port;
  const httpsPort = secure.port;
  const altAddress = plain.alt && secure.alt ? ALT_ADDRESS : null;

  const lookup: LookupFn = (hostname, options, callback) => {
    const opts = typeof options === "object" && options !== null ? options : {};
    const family = opts.family === "IPv4" ? 4 : opts.family === "IPv6" ? 6 : opts.family;
    const name = hostname.toLowerCase();
    const found = findByHost(addresses, name) ?? (findByHost(routes, name) ? ["127.0.0.1"] : undefined);
    setImmediate(() => {
      if (!found) {
        const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        err.code = "ENOTFOUND";
        err.syscall = "getaddrinfo";
        (err as { hostname?: string }).hostname = hostname;
        return callback(err, opts.all ? [] : "");
      }
      const all: LookupAddress[] = found
        .map((address) => ({ address, family: address.includes(":") ? 6 : 4 }))
        .filter((a) => !family || a.family === family);
      if (opts.all) return callback(null, all);
      const first = all[0];
      if (!first)
        return callback(Object.assign(new Error("no address of that family"), { code: "ENODATA" }), "");
      callback(null, first.address, first.family);
    });
  };

  return {
    httpPort,
    httpsPort,
    altAddress,
    ca: tls.ca,
    log,
    lookup,
    route(host, handler) {
      routes.set(host.toLowerCase(), handler);
    },
    resolve(host, ...to) {
      addresses.set(host.toLowerCase(), to);
    },
    hits(host) {
      const name = host.toLowerCase();
      return log.filter((h) => h.host === name).length;
    },
    url(host, path = "/", opts = {}) {
      const scheme = opts.https ? "https" : "http";
      const port = opts.https ? httpsPort : httpPort;
      const shown = host.includes(":") ? `[${host}]` : host;
      return `${scheme}://${shown}:${port}${path.startsWith("/") ? path : `/${path}`}`;
    },
    async close() {
      await Promise.all(servers.map(closeServer));
    },
  };
}

export interface ForwardProxy {
  readonly url: string;
  /** Absolute request URIs the proxy was asked for, and `CONNECT host:port` for tunnels. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/**
 * A tiny forward proxy resolving names with `lookup`: absolute-URI requests for `http://`
 * targets, and CONNECT tunnels for `https://` ones.
 */
export async function startForwardProxy(lookup: LookupFn): Promise<ForwardProxy> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    let target: URL;
    try {
      target = new URL(req.url ?? "");
    } catch {
      return res.writeHead(400).end("absolute URI expected");
    }
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port || 80,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: { ...req.headers, host: target.host, via: "1.1 poick-test-proxy" },
        lookup: lookup as never,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`proxy: ${err.message}`);
    });
    req.pipe(upstream);
  });
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    requests.push(`CONNECT ${req.url}`);
    const target = new URL(`http://${req.url}`);
    const upstream = net.connect({
      host: target.hostname,
      port: Number(target.port) || 443,
      lookup: lookup as never,
    });
    upstream.once("connect", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on("error", () => client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
    client.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
  });
  trackSockets(server);
  const port = await listen(server, 0, "127.0.0.1");
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => closeServer(server),
  };
}
