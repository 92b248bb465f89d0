import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nonceForKey } from "../../src/alerts/notifier.js";
import { RestNotifier } from "../../src/discord/rest-notifier.js";

/** A tiny stand-in for Discord's message endpoints on 127.0.0.1, nonce handling included. */
interface Received {
  method: string;
  path: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}
const received: Received[] = [];
const byNonce = new Map<string, string>();
let nextId = 1;
let server: http.Server;
let api: string;

const ERRORS: Record<string, [number, Record<string, unknown>, Record<string, string>?]> = {
  gone: [404, { code: 10003, message: "Unknown Channel" }],
  noperm: [403, { code: 50013, message: "Missing Permissions" }],
  noaccess: [403, { code: 50001, message: "Missing Access" }],
  toobig: [400, { code: 50035, message: "Invalid Form Body" }],
  broken: [502, { code: 0, message: "Bad Gateway" }],
  slowdown: [
    429,
    { message: "You are being rate limited.", retry_after: 120, global: false },
    { "retry-after": "120", "x-ratelimit-scope": "user" },
  ],
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => {
      raw += c;
    });
    req.on("end", () => {
      const path = (req.url ?? "").replace(/^\/api\/v10/, "");
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      received.push({ method: req.method ?? "", path, auth: req.headers.authorization, body });
      const reply = (status: number, json: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(json));
      const m = /^\/channels\/([^/]+)\/messages(?:\/([^/]+))?$/.exec(path);
      if (!m) return reply(404, { code: 0, message: "404: Not Found" });
      const [, channel = "", messageId] = m;
      const err = ERRORS[channel];
      if (err) return reply(err[0], err[1], err[2]);
      if (req.method === "PATCH") {
        if (messageId === "missing") return reply(404, { code: 10008, message: "Unknown Message" });
        return reply(200, { id: messageId, channel_id: channel });
      }
      const nonce = typeof body.nonce === "string" ? body.nonce : null;
      if (nonce && body.enforce_nonce === true && byNonce.has(`${channel}/${nonce}`)) {
        return reply(200, { id: byNonce.get(`${channel}/${nonce}`), channel_id: channel, nonce });
      }
      const id = String(nextId++);
      if (nonce) byNonce.set(`${channel}/${nonce}`, id);
      return reply(200, { id, channel_id: channel, nonce });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const msg = { embeds: [{ title: "🔴 PySilesia looks dead" }], allowed_mentions: { parse: [] } };

function notifier(o: Partial<ConstructorParameters<typeof RestNotifier>[0]> = {}) {
  return new RestNotifier({ token: "test-token-123456", api, retries: 0, timeoutMs: 3000, ...o });
}

describe("RestNotifier", () => {
  it("posts with the nonce enforced, and a repeat returns the same message", async () => {
    const n = notifier();
    const nonce = nonceForKey("dead:g:2026-11-01T00:00:00.000Z:G1");
    const first = await n.send("c1", msg, nonce);
    const again = await n.send("c1", msg, nonce);
    n.close();
    expect(first).toEqual({ ok: true, messageId: expect.any(String) });
    expect(again).toEqual(first);
    const posts = received.filter((r) => r.method === "POST" && r.path === "/channels/c1/messages");
    expect(posts).toHaveLength(2);
    expect(posts[0]?.auth).toBe("Bot test-token-123456");
    expect(posts[0]?.body).toMatchObject({ nonce, enforce_nonce: true, allowed_mentions: { parse: [] } });
    expect(nonce.length).toBeLessThanOrEqual(25);
  });

  it("maps Discord's errors to permanent or passing failures", async () => {
    const n = notifier();
    const results = Object.fromEntries(
      await Promise.all(
        ["gone", "noperm", "noaccess", "toobig", "broken"].map(
          async (c) => [c, await n.send(c, msg, "n")] as const,
        ),
      ),
    );
    n.close();
    expect(results.gone).toMatchObject({ ok: false, permanent: true, code: "unknown_channel" });
    expect(results.noperm).toMatchObject({ ok: false, permanent: true, code: "missing_permissions" });
    expect(results.noaccess).toMatchObject({ ok: false, permanent: true, code: "missing_access" });
    expect(results.toobig).toMatchObject({ ok: false, permanent: true, code: "other" });
    expect(results.broken).toMatchObject({ ok: false, permanent: false, code: "server" });
  });

  it("a long rate limit is handed back with its wait instead of blocking", async () => {
    const n = notifier({ maxRateLimitWaitMs: 1000 });
    const r = await n.send("slowdown", msg, "n");
    n.close();
    expect(r).toMatchObject({ ok: false, permanent: false, code: "rate_limited" });
    expect(r.ok === false && r.retryAfterMs).toBeGreaterThanOrEqual(100_000);
  });

  it("an unreachable API is a passing network failure", async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const n = new RestNotifier({
      token: "test-token-123456",
      api: `http://127.0.0.1:${port}/api`,
      retries: 0,
    });
    const r = await n.send("c1", msg, "n");
    n.close();
    expect(r).toMatchObject({ ok: false, permanent: false, code: "network" });
  });

  it("edits a message, and says when it is gone", async () => {
    const n = notifier();
    expect(await n.edit("c1", "42", msg)).toEqual({ ok: true, messageId: "42" });
    expect(await n.edit("c1", "missing", msg)).toMatchObject({
      ok: false,
      permanent: true,
      code: "unknown_message",
    });
    n.close();
    const patch = received.find((r) => r.method === "PATCH" && r.path === "/channels/c1/messages/42");
    expect(patch?.body).toEqual(msg);
  });
});
