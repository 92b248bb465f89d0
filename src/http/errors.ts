import type { HttpError, HttpErrorCode } from "./types.js";

/** A deadline of ours (a hop's, or the whole check's) passed. */
export class DeadlineError extends Error {
  override name = "DeadlineError";
}

/** Every `code` on an error, its causes and its aggregated errors (undici and net nest them). */
export function errorCodes(err: unknown, depth = 0): string[] {
  if (!err || typeof err !== "object" || depth > 5) return [];
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof e.code === "string" ? [e.code] : [];
  const nested = Array.isArray(e.errors) ? e.errors.flatMap((x) => errorCodes(x, depth + 1)) : [];
  return [...own, ...errorCodes(e.cause, depth + 1), ...nested];
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

/**
 * The issuer of the server's certificate is not among what it sent nor what we trust: the usual
 * cause is a server that omits its intermediate certificate. Browsers fetch the intermediate (AIA)
 * or know it already and open the page, so this is not a broken site.
 */
const TLS_CHAIN_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
]);
const TLS_CODE =
  /^(CERT_|ERR_TLS_|ERR_SSL_|ERR_OSSL_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;
const TIMEOUT_CODES = [
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
  "ERR_SOCKET_CONNECTION_TIMEOUT",
];

/** Maps what undici, net, tls and dns throw to one of our codes. `proxied`: the request went via our proxy. */
export function classifyError(err: unknown, proxied = false): HttpError {
  const codes = errorCodes(err);
  const has = (...wanted: string[]) => codes.some((c) => wanted.includes(c));
  const detail = errorText(err);
  const make = (code: HttpErrorCode, what: string): HttpError => ({ code, message: `${what} ${detail}` });
  if (err instanceof DeadlineError) return { code: "timeout", message: err.message };
  if (has("POICK_FORBIDDEN_ADDRESS")) return { code: "forbidden_address", message: detail };
  // Our proxy's own TLS (an https:// proxy) failing is ours, whatever TLS code it carries.
  if (has("UND_ERR_PRX_TLS")) return make("proxy", "The TLS connection to our proxy failed:");
  if (codes.some((c) => TLS_CHAIN_CODES.has(c))) {
    return make(
      "tls_chain",
      "The server did not send its full certificate chain (browsers usually still open it):",
    );
  }
  if (codes.some((c) => TLS_CODE.test(c))) return make("tls", "The TLS certificate or handshake failed:");
  if (
    proxied &&
    has("ENOTFOUND", "EAI_NONAME", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", ...TIMEOUT_CODES)
  ) {
    // Before the tunnel or the proxied request is up, these are about the proxy, not the site.
    if (!has("UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"))
      return make("proxy", "Could not reach our proxy:");
  }
  if (/proxy/i.test(detail)) return make("proxy", "Our proxy failed:");
  if (has("ENOTFOUND", "EAI_NONAME", "ENODATA", "EAI_NODATA"))
    return make("dns_nxdomain", "The name does not exist:");
  if (has("EAI_AGAIN", "EAI_FAIL", "ESERVFAIL", "ETIMEOUT")) {
    return make("dns_error", "The name could not be looked up:");
  }
  if (has("ECONNREFUSED")) return make("refused", "The server refused the connection:");
  if (has(...TIMEOUT_CODES)) return make("timeout", "The server did not answer in time:");
  if (has("ECONNRESET", "EPIPE", "ECONNABORTED", "UND_ERR_SOCKET", "UND_ERR_CLOSED")) {
    return make("reset", "The connection was cut:");
  }
  return make("other", "The request failed:");
}
