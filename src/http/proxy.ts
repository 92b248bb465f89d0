import { type Cidr, inNetwork, ipLiteral, parseCidrs } from "./guard.js";

/** HTTP_PROXY / HTTPS_PROXY / NO_PROXY values, read from the config (never from process.env here). */
export interface ProxySettings {
  http?: string | undefined;
  https?: string | undefined;
  noProxy?: string | undefined;
}

/**
 * NO_PROXY semantics as curl and undici read them: `*`, host names (suffix match), `host:port`, IPs
 * and CIDRs. Hand-written rather than undici's EnvHttpProxyAgent: that agent keeps its routing
 * private, and we must know whether a request went through the proxy to tell its failures from the site's.
 */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  const literal = ipLiteral(url.hostname);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return true;
    const range = literal ? networkEntry(entry) : null;
    if (range) {
      if (inNetwork(literal as string, range)) return true;
      continue;
    }
    const m = /^(.*?)(?::(\d+))?$/.exec(entry);
    const name = (m?.[1] ?? entry).replace(/^\*?\./, "");
    const entryPort = m?.[2] ? Number(m[2]) : null;
    if (entryPort !== null && entryPort !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

function networkEntry(entry: string): Cidr | null {
  try {
    return parseCidrs([entry.replace(/^\[(.*)\]$/, "$1")])[0] ?? null;
  } catch {
    return null;
  }
}
