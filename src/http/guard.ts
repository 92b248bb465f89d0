import dns from "node:dns";
import net from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Group URLs come from a wiki anyone can edit, so a URL may point at our own
 * machine or network. This module decides which addresses Poick may visit.
 * Parsing and the special-purpose ranges come from ipaddr.js (kept up to date
 * with the IANA registries); what stays here is the policy.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface Cidr {
  readonly family: 4 | 6;
  readonly prefix: number;
  readonly text: string;
  readonly network: Address;
}

export interface LookupAddress {
  address: string;
  family: number;
}

export type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** The shape of `dns.lookup` that `net.connect` (and so undici's `connect.lookup`) calls. */
export type LookupFn = (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => void;

export const FORBIDDEN_ADDRESS = "POICK_FORBIDDEN_ADDRESS";

export class ForbiddenAddressError extends Error {
  override name = "ForbiddenAddressError";
  readonly code = FORBIDDEN_ADDRESS;
  constructor(
    readonly hostname: string,
    readonly addresses: readonly string[],
  ) {
    super(`${hostname} points to ${addresses.join(", ") || "no address"}, which Poick does not visit.`);
  }
}

/** Strict parsing: net.isIP refuses the short and octal forms ("10.0.0", "0x7f.1") that ipaddr.js accepts. */
function parseIp(text: string): Address | null {
  const bare = text.replace(/^\[(.*)\]$/, "$1");
  if (!net.isIP(bare)) return null;
  try {
    return ipaddr.parse(bare);
  } catch {
    return null;
  }
}

function cidr(text: string): Cidr | null {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return null;
  const ip = parseIp(m[1] as string);
  if (!ip) return null;
  const bits = ip.kind() === "ipv4" ? 32 : 128;
  const prefix = m[2] === undefined ? bits : Number(m[2]);
  if (prefix > bits) return null;
  return { family: bits === 32 ? 4 : 6, prefix, network: ip, text: text.trim() };
}

/** Parses entries like `127.0.0.0/8`, `fd00::/8` or a bare address; throws naming the first bad entry. */
export function parseCidrs(list: readonly string[]): Cidr[] {
  return list.map((entry) => {
    const parsed = cidr(entry);
    if (!parsed) {
      throw new Error(`"${entry}" is not a network: write an address or a CIDR like 10.0.0.0/8 or fd00::/8.`);
    }
    return parsed;
  });
}

function contains(range: Cidr, ip: Address): boolean {
  return ip.kind() === range.network.kind() && ip.match(range.network, range.prefix);
}

/** ipaddr.js calls everything outside its special-purpose table "unicast"; only that is public. */
const PUBLIC_RANGE = "unicast";
/** The deprecated IPv4-compatible form (::a.b.c.d) is "unicast" to ipaddr.js but never a real host. */
const EXTRA_FORBIDDEN = parseCidrs(["::/96"]);

/** IPv6 ranges that carry an IPv4 address: the IPv4 address is what gets judged. */
function embeddedIpv4(ip: Address): ipaddr.IPv4 | null {
  if (ip.kind() !== "ipv6") return null;
  const v6 = ip as ipaddr.IPv6;
  const bytes = v6.toByteArray();
  const range = v6.range();
  // IPv4-mapped, SIIT (RFC 6145) and the well-known NAT64 prefix carry it in the last 32 bits.
  if (range === "ipv4Mapped" || range === "rfc6145" || (range === "rfc6052" && v6.match(NAT64, 96))) {
    return new ipaddr.IPv4(bytes.slice(12, 16));
  }
  if (range === "6to4") return new ipaddr.IPv4(bytes.slice(2, 6));
  return null;
}
const NAT64 = ipaddr.IPv6.parse("64:ff9b::");

function isForbiddenParsed(ip: Address, allow: readonly Cidr[]): boolean {
  if (allow.some((range) => contains(range, ip))) return false;
  const inner = embeddedIpv4(ip);
  if (inner) return isForbiddenParsed(inner, allow);
  if (EXTRA_FORBIDDEN.some((range) => contains(range, ip))) return true;
  return ip.range() !== PUBLIC_RANGE;
}

/** True when Poick must not connect to `ip`. Anything that is not an IP address is forbidden. */
export function isForbiddenAddress(ip: string, allow: readonly Cidr[]): boolean {
  const parsed = parseIp(ip);
  if (!parsed) return true;
  return isForbiddenParsed(parsed, allow);
}

/** True when `ip` lies inside `range`; false for anything that is not an IP address. */
export function inNetwork(ip: string, range: Cidr): boolean {
  const parsed = parseIp(ip);
  return parsed !== null && contains(range, parsed);
}

/** The bare IP address when `hostname` (as `URL.hostname` gives it, IPv6 in brackets) is a literal. */
export function ipLiteral(hostname: string): string | null {
  const bare = hostname.replace(/^\[(.*)\]$/, "$1");
  return net.isIP(bare) ? bare : null;
}

export const systemLookup: LookupFn = (hostname, options, callback) => {
  dns.lookup(
    hostname,
    { ...options, all: true },
    callback as (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void,
  );
};

function lookupAll(
  lookup: LookupFn,
  hostname: string,
  options: dns.LookupOptions = {},
): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    lookup(hostname, { ...options, all: true }, (err, address, family) => {
      if (err) reject(err);
      else if (Array.isArray(address)) resolve(address);
      else resolve([{ address, family: family ?? (net.isIPv6(address) ? 6 : 4) }]);
    });
  });
}

/**
 * A `dns.lookup` replacement for undici's `connect.lookup`: it resolves through `base`
 * and hands back only addresses we may visit. Running at connect time, it also defeats
 * DNS rebinding (a name that passed the pre-check and later resolves elsewhere).
 */
export function guardedLookup(base: LookupFn = systemLookup, allow: readonly Cidr[] = []): LookupFn {
  return (hostname, options, callback) => {
    const opts: dns.LookupOptions = typeof options === "object" && options !== null ? options : {};
    lookupAll(base, hostname, opts).then(
      (addresses) => {
        const usable = addresses.filter((a) => !isForbiddenAddress(a.address, allow));
        if (usable.length === 0) {
          callback(
            new ForbiddenAddressError(
              hostname,
              addresses.map((a) => a.address),
            ),
            opts.all ? [] : "",
          );
        } else if (opts.all) {
          callback(null, usable);
        } else {
          const first = usable[0]!;
          callback(null, first.address, first.family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, opts.all ? [] : ""),
    );
  };
}

export type HostCheck =
  | { ok: true; addresses: string[] }
  | { ok: false; reason: "forbidden_address" | "dns_nxdomain" | "dns_error"; detail: string };

const NXDOMAIN_CODES = new Set(["ENOTFOUND", "EAI_NONAME", "ENODATA", "EAI_NODATA"]);

/** Checks the host of `url` before any request: literal IPs directly, names through `lookup`. */
export async function checkUrlHost(url: URL, lookup: LookupFn, allow: readonly Cidr[]): Promise<HostCheck> {
  const literal = ipLiteral(url.hostname);
  if (literal) {
    return isForbiddenAddress(literal, allow)
      ? { ok: false, reason: "forbidden_address", detail: `${literal} is not a public address.` }
      : { ok: true, addresses: [literal] };
  }
  let addresses: LookupAddress[];
  try {
    addresses = await lookupAll(lookup, url.hostname);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    return NXDOMAIN_CODES.has(code)
      ? { ok: false, reason: "dns_nxdomain", detail: `${url.hostname} does not exist in DNS (${code}).` }
      : {
          ok: false,
          reason: "dns_error",
          detail: `Could not look up ${url.hostname}: ${(err as Error).message}`,
        };
  }
  if (addresses.length === 0) {
    return { ok: false, reason: "dns_nxdomain", detail: `${url.hostname} has no address in DNS.` };
  }
  const usable = addresses.map((a) => a.address).filter((a) => !isForbiddenAddress(a, allow));
  if (usable.length === 0) {
    const all = addresses.map((a) => a.address).join(", ") || "no address";
    return {
      ok: false,
      reason: "forbidden_address",
      detail: `${url.hostname} points to ${all}, not a public address.`,
    };
  }
  return { ok: true, addresses: usable };
}
