import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A loopback web of group sites at /g/<n>: each a genuine Python group page until put in `down` (404). */
export interface GroupWorld {
  readonly port: number;
  readonly down: Set<number>;
  url(n: number): string;
  readonly canaryUrl: string;
  close(): Promise<void>;
}

export async function startGroupWorld(name: (n: number) => string): Promise<GroupWorld> {
  const down = new Set<number>();
  const server = createServer((req, res) => {
    if (req.url === "/canary") return void res.writeHead(200).end("ok");
    const n = Number(/\/g\/(\d+)/.exec(req.url ?? "")?.[1] ?? -1);
    if (down.has(n))
      return void res.writeHead(404, { "content-type": "text/html" }).end("<h1>Not Found</h1>");
    res
      .writeHead(200, { "content-type": "text/html" })
      .end(
        `<html><head><title>${name(n)} Python</title></head><body><h1>Python User ${name(n)}</h1><p>Python meetup every month.</p></body></html>`,
      );
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    down,
    url: (n) => `http://127.0.0.1:${port}/g/${n}`,
    canaryUrl: `http://127.0.0.1:${port}/canary`,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}
