import diagnostics from "node:diagnostics_channel";

/**
 * When did a request actually leave? undici publishes `undici:request:create` as it builds a request
 * (synchronously, inside our `request()` call: its agent hands the request to a connection pool with
 * no connection limit) and `undici:client:sendHeaders` when the request's headers are written to the
 * socket — after any DNS, TCP and TLS set-up. The rate limiter counts a request at the host from that
 * moment: a request that first waits for a handshake has not reached the host yet.
 *
 * Both are undici's documented diagnostics channels. A request built outside our call (queued and
 * built later) or for another URL is not matched: its caller never hears "sent" and counts it until
 * its answer arrives, as before. (Not AsyncLocalStorage: on Node 20 it hooks every promise.)
 */
interface Pending {
  origin: string;
  path: string;
  sent: () => void;
  tracked: boolean;
}

interface UndiciRequest {
  origin?: string | URL;
  path?: string;
}

/** The request being started right now, for the duration of the synchronous `request()` call. */
let starting: Pending | null = null;
const byRequest = new WeakMap<object, () => void>();
let subscribed = false;

function subscribe(): void {
  if (subscribed) return;
  subscribed = true;
  diagnostics.subscribe("undici:request:create", (message) => {
    const pending = starting;
    const request = (message as { request?: UndiciRequest }).request;
    if (!pending || !request) return;
    if (String(request.origin) === pending.origin && request.path === pending.path) {
      byRequest.set(request, pending.sent);
      pending.tracked = true;
    }
  });
  diagnostics.subscribe("undici:client:sendHeaders", (message) => {
    const request = (message as { request?: object }).request;
    if (!request) return;
    const sent = byRequest.get(request);
    if (sent) {
      byRequest.delete(request);
      sent();
    }
  });
}

/**
 * Runs `start` (which makes one undici request to `url`) and calls `sent` when its headers leave,
 * or `untracked` at once when the request could not be matched (so `sent` will never come).
 */
export function whenSent<T>(url: URL, sent: () => void, start: () => T, untracked: () => void = () => {}): T {
  subscribe();
  const outer = starting;
  const pending: Pending = { origin: url.origin, path: `${url.pathname}${url.search}`, sent, tracked: false };
  starting = pending;
  try {
    return start();
  } finally {
    starting = outer;
    if (!pending.tracked) untracked();
  }
}
