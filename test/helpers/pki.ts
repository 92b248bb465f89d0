import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import https from "node:https";
import type net from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A throwaway PKI like the public one: a root, an intermediate it signs, a leaf the intermediate
 * signs (for *.poick.test and 127.0.0.1), and a self-signed leaf. Made once per process with openssl.
 */
export interface Pki {
  root: string;
  intermediate: string;
  leaf: { key: string; cert: string };
  selfSigned: { key: string; cert: string };
}

let made: Promise<Pki> | null = null;

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, { cwd }, (err, _out, stderr) =>
      err ? reject(new Error(`openssl ${args[0]} failed: ${stderr || err.message}`)) : resolve(),
    );
  });
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
const SAN = "subjectAltName=DNS:*.poick.test,IP:127.0.0.1";

export function testPki(): Promise<Pki> {
  made ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "poick-pki-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    const ca = [
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ];
    await openssl(
      [
        "req",
        "-x509",
        ...EC,
        "-keyout",
        "root.key",
        "-out",
        "root.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Poick Test Root",
        ...ca,
      ],
      dir,
    );
    await writeFile(
      join(dir, "ca.ext"),
      "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    );
    await writeFile(
      join(dir, "leaf.ext"),
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n${SAN}\n`,
    );
    await openssl(
      ["req", ...EC, "-keyout", "int.key", "-out", "int.csr", "-subj", "/CN=Poick Test Intermediate"],
      dir,
    );
    await openssl(
      [
        "x509",
        "-req",
        "-in",
        "int.csr",
        "-CA",
        "root.pem",
        "-CAkey",
        "root.key",
        "-CAcreateserial",
        "-out",
        "int.pem",
        "-days",
        "2",
        "-extfile",
        "ca.ext",
      ],
      dir,
    );
    await openssl(
      ["req", ...EC, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=chain.poick.test"],
      dir,
    );
    await openssl(
      [
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "int.pem",
        "-CAkey",
        "int.key",
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
    await openssl(
      [
        "req",
        "-x509",
        ...EC,
        "-keyout",
        "self.key",
        "-out",
        "self.pem",
        "-days",
        "2",
        "-subj",
        "/CN=self.poick.test",
        "-addext",
        SAN,
      ],
      dir,
    );
    const read = (f: string) => readFile(join(dir, f), "utf8");
    return {
      root: await read("root.pem"),
      intermediate: await read("int.pem"),
      leaf: { key: await read("leaf.key"), cert: await read("leaf.pem") },
      selfSigned: { key: await read("self.key"), cert: await read("self.pem") },
    };
  })();
  return made;
}

export interface TlsSite {
  readonly port: number;
  close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1 answering every request with `body`, using exactly the chain given. */
export async function startTlsSite(key: string, certChain: string, body = "tls site"): Promise<TlsSite> {
  const sockets = new Set<net.Socket>();
  const server = https.createServer({ key, cert: certChain }, (_req, res) => {
    res.writeHead(200, { "content-type": "text/html" }).end(body);
  });
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
