import dns from "node:dns";
import net from "node:net";

/**
 * Group URLs come from a wiki anyone can edit, so a URL may point at our own
 * machine or network. This module decides which addresses the prober may visit.
 */

export interface Cidr {
  readonly family: 4 | 6;
  /** Network address with host bits cleared. */
  readonly base: bigint;
  readonly prefix: number;
  readonly text: string;
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

interface ParsedIp {
  family: 4 | 6;
  value: bigint;
}

const BITS = { 4: 32, 6: 128 } as const;

function parseIpv4(text: string): bigint | null {
  if (!net.isIPv4(text)) return null;
  return text.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function parseIpv6(text: string): bigint | null {
  const bare = text.replace(/%.*$/, "");
  if (!net.isIPv6(bare)) return null;
  let groups = bare;
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (v4Tail) {
    const v4 = parseIpv4(v4Tail[1] as string);
    if (v4 === null) return null;
    groups = `${bare.slice(0, -v4Tail[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = "", tail] = groups.split("::");
  const headParts = head ? head.split(":") : [];
  const tailParts = tail === undefined ? [] : tail ? tail.split(":") : [];
  const missing = 8 - headParts.length - tailParts.length;
  const parts = tail === undefined ? headParts : [...headParts, ...Array(missing).fill("0"), ...tailParts];
  if (parts.length !== 8) return null;
  return parts.reduce((acc, part) => (acc << 16n) | BigInt(Number.parseInt(part, 16)), 0n);
}

function parseIp(text: string): ParsedIp | null {
  const unbracketed = text.replace(/^\[(.*)\]$/, "$1");
  const v4 = parseIpv4(unbracketed);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = parseIpv6(unbracketed);
  if (v6 !== null) return { family: 6, value: v6 };
  return null;
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = BITS[family];
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

function cidr(text: string): Cidr | null {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return null;
  const ip = parseIp(m[1] as string);
  if (!ip) return null;
  const prefix = m[2] === undefined ? BITS[ip.family] : Number(m[2]);
  if (prefix > BITS[ip.family]) return null;
  return { family: ip.family, base: ip.value & mask(ip.family, prefix), prefix, text: text.trim() };
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

function contains(range: Cidr, ip: ParsedIp): boolean {
  return range.family === ip.family && (ip.value & mask(ip.family, range.prefix)) === range.base;
}

const FORBIDDEN_V4 = parseCidrs([
  "0.0.0.0/8", // unspecified / "this network"
  "10.0.0.0/8",
  "100.64.0.0/10", // carrier-grade NAT
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.88.99.0/24", // deprecated 6to4 relays
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4", // reserved, includes 255.255.255.255
]);

const FORBIDDEN_V6 = parseCidrs([
  "::/96", // unspecified, loopback and the deprecated IPv4-compatible form
  "64:ff9b:1::/48", // local-use NAT64
  "100::/64", // discard
  "2001:db8::/32",
  "fc00::/7",
  "fe80::/10",
  "fec0::/10", // deprecated site-local
  "ff00::/8",
]);

/** IPv6 ranges that carry an IPv4 address; the IPv4 address is what gets judged. */
const EMBEDDING_V4: readonly { range: Cidr; shift: bigint }[] = [
  { range: parseCidrs(["::ffff:0:0/96"])[0]!, shift: 0n }, // IPv4-mapped
  { range: parseCidrs(["64:ff9b::/96"])[0]!, shift: 0n }, // NAT64
  { range: parseCidrs(["2002::/16"])[0]!, shift: 80n }, // 6to4
];

function embeddedIpv4(ip: ParsedIp): ParsedIp | null {
  if (ip.family !== 6) return null;
  for (const { range, shift } of EMBEDDING_V4) {
    if (contains(range, ip)) return { family: 4, value: (ip.value >> shift) & 0xffffffffn };
  }
  return null;
}

function isForbiddenParsed(ip: ParsedIp, allow: readonly Cidr[]): boolean {
  if (allow.some((range) => contains(range, ip))) return false;
  const inner = embeddedIpv4(ip);
  if (inner) return isForbiddenParsed(inner, allow);
  const forbidden = ip.family === 4 ? FORBIDDEN_V4 : FORBIDDEN_V6;
  return forbidden.some((net) => contains(net, ip));
}

/** True when the prober must not connect to `ip`. Anything that is not an IP address is forbidden. */
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
