import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TSX_LOADER } from "../helpers/bot-process.js";
import { startTestWeb, type TestWeb } from "../helpers/web.js";

// NODE_EXTRA_CA_CERTS is read once when Node starts, so this runs the real client in a child process.
const CLIENT = join(import.meta.dirname, "../../src/http/client.ts");
const GUARD = join(import.meta.dirname, "../../src/http/guard.ts");
const script = (url: string) => `
  const { createHttpClient } = await import(${JSON.stringify(CLIENT)});
  const { parseCidrs } = await import(${JSON.stringify(GUARD)});
  const client = createHttpClient({
    userAgent: "Poick-test", headersTimeoutMs: 3000, maxBodyBytes: 65536, retries: 0,
    allowNets: parseCidrs(["127.0.0.0/8", "::1/128"]), clock: { now: () => new Date() },
  });
  const r = await client.get(${JSON.stringify(url)});
  await client.close();
  console.log(JSON.stringify({ status: r.status, error: r.error?.code ?? null }));
`;

let web: TestWeb;
let dir: string;
beforeAll(async () => {
  web = await startTestWeb();
  web.route("localhost", (_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("hello"));
  dir = mkdtempSync(join(tmpdir(), "poick-ca-"));
  writeFileSync(join(dir, "ca.pem"), web.ca);
});
afterAll(async () => {
  await web.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(env: Record<string, string>): Promise<{ status: number | null; error: string | null }> {
  const child = spawn(
    process.execPath,
    ["--import", TSX_LOADER, "--input-type=module", "-e", script(web.url("localhost", "/", { https: true }))],
    {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (d) => {
    out += String(d);
  });
  return new Promise((resolve, reject) =>
    child.once("exit", () => {
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? ""));
      } catch (err) {
        reject(new Error(`no result from the child: ${out} ${err}`));
      }
    }),
  );
}

describe("trusted certificates", () => {
  it("a private CA is refused by default and trusted through NODE_EXTRA_CA_CERTS", async () => {
    // The server sends its leaf alone, so an unknown issuer reads as an incomplete chain.
    expect(await run({})).toEqual({ status: null, error: "tls_chain" });
    expect(await run({ NODE_EXTRA_CA_CERTS: join(dir, "ca.pem") })).toEqual({ status: 200, error: null });
  }, 30_000);
});
