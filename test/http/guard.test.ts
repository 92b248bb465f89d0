import { describe, expect, it } from "vitest";
import {
  type Cidr,
  checkUrlHost,
  guardedLookup,
  isForbiddenAddress,
  type LookupAddress,
  type LookupFn,
  parseCidrs,
} from "../../src/http/guard.js";

/** A base lookup answering from a table; names missing from it fail with `code`. */
function tableLookup(table: Record<string, string[]>, code = "ENOTFOUND"): LookupFn {
  return (hostname, _options, callback) => {
    const found = table[hostname];
    if (!found) return callback(Object.assign(new Error(`lookup ${hostname}`), { code }), []);
    callback(
      null,
      found.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })),
    );
  };
}

function lookupAll(fn: LookupFn, host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) =>
    fn(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses as LookupAddress[]))),
  );
}

function lookupOne(fn: LookupFn, host: string): Promise<{ address: string; family?: number }> {
  return new Promise((resolve, reject) =>
    fn(host, {}, (err, address, family) =>
      err ? reject(err) : resolve({ address: address as string, family }),
    ),
  );
}

describe("parseCidrs", () => {
  it("parses IPv4 and IPv6 networks and bare addresses", () => {
    const nets = parseCidrs(["127.0.0.0/8", " 10.1.2.3 ", "fd00::/8", "::1"]);
    expect(nets.map((n) => [n.family, n.prefix])).toEqual([
      [4, 8],
      [4, 32],
      [6, 8],
      [6, 128],
    ]);
  });

  it("clears host bits so 10.1.2.3/8 means 10/8", () => {
    const [net] = parseCidrs(["10.1.2.3/8"]) as [Cidr];
    expect(isForbiddenAddress("10.200.0.1", [net])).toBe(false);
  });

  it.each(["10.0.0.0/33", "::/129", "example.com", "10.0.0/8", "1.2.3.4/", ""])(
    "rejects %j by name",
    (bad) => {
      expect(() => parseCidrs(["127.0.0.0/8", bad])).toThrow(`"${bad}"`);
    },
  );
});

describe("isForbiddenAddress", () => {
  it.each([
    "127.0.0.1",
    "127.255.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.5",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "100.127.255.255",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.0.8",
    "192.0.2.10",
    "198.18.0.1",
    "198.19.255.255",
    "198.51.100.7",
    "203.0.113.9",
    "::",
    "::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fe80::1%eth0",
    "ff02::1",
    "2001:db8::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.0.0.5",
    "::ffff:169.254.169.254",
    "64:ff9b::10.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "2002:a00:1::1",
    "::a00:5",
    "64:ff9b:1::a00:5",
    "2001::1",
    "100::1",
    "10.0.0",
    "0x7f.1",
    "2130706433",
    "not an address",
    "",
  ])("forbids %s", (ip) => {
    expect(isForbiddenAddress(ip, [])).toBe(true);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "172.15.255.255",
    "172.32.0.1",
    "100.63.255.255",
    "100.128.0.1",
    "192.169.0.1",
    "198.20.0.1",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.4.4",
    "2002:808:808::1",
  ])("allows the public address %s", (ip) => {
    expect(isForbiddenAddress(ip, [])).toBe(false);
  });

  it("lets an allow-list open chosen networks and nothing more", () => {
    const allow = parseCidrs(["127.0.0.0/8", "10.1.0.0/16", "fd00::/8"]);
    expect(isForbiddenAddress("127.0.0.1", allow)).toBe(false);
    expect(isForbiddenAddress("::ffff:127.0.0.1", allow)).toBe(false);
    expect(isForbiddenAddress("10.1.2.3", allow)).toBe(false);
    expect(isForbiddenAddress("fd00::1", allow)).toBe(false);
    expect(isForbiddenAddress("10.2.0.1", allow)).toBe(true);
    expect(isForbiddenAddress("fc00::1", allow)).toBe(true);
    expect(isForbiddenAddress("::1", allow)).toBe(true);
    expect(isForbiddenAddress("192.168.0.1", allow)).toBe(true);
  });
});

describe("guardedLookup", () => {
  const base = tableLookup({
    mixed: ["10.0.0.1", "93.184.216.34", "::1", "2606:4700::1111"],
    private: ["10.0.0.5", "fd00::5"],
    loopback: ["127.0.0.1"],
  });

  it("drops forbidden addresses from a mixed answer", async () => {
    const guarded = guardedLookup(base, []);
    expect((await lookupAll(guarded, "mixed")).map((a) => a.address)).toEqual([
      "93.184.216.34",
      "2606:4700::1111",
    ]);
    expect(await lookupOne(guarded, "mixed")).toEqual({ address: "93.184.216.34", family: 4 });
  });

  it("fails with POICK_FORBIDDEN_ADDRESS when nothing is left", async () => {
    const guarded = guardedLookup(base, []);
    await expect(lookupAll(guarded, "private")).rejects.toMatchObject({ code: "POICK_FORBIDDEN_ADDRESS" });
    await expect(lookupOne(guarded, "loopback")).rejects.toMatchObject({ code: "POICK_FORBIDDEN_ADDRESS" });
  });

  it("honours the allow list", async () => {
    const guarded = guardedLookup(base, parseCidrs(["127.0.0.0/8"]));
    expect(await lookupOne(guarded, "loopback")).toEqual({ address: "127.0.0.1", family: 4 });
  });

  it("passes DNS errors through unchanged", async () => {
    await expect(lookupAll(guardedLookup(base, []), "nowhere")).rejects.toMatchObject({ code: "ENOTFOUND" });
  });
});

describe("checkUrlHost", () => {
  const base = tableLookup({ "public.example": ["93.184.216.34"], "inside.example": ["10.0.0.5"] });
  const check = (url: string, allow: Cidr[] = [], lookup = base) => checkUrlHost(new URL(url), lookup, allow);

  it("judges literal IPs, however the URL spells them", async () => {
    for (const url of [
      "http://127.0.0.1/",
      "http://2130706433/",
      "http://0x7f.1/",
      "http://[::1]:8080/",
      "http://[::ffff:10.0.0.5]/",
      "https://169.254.169.254/latest/meta-data/",
    ]) {
      expect(await check(url), url).toMatchObject({ ok: false, reason: "forbidden_address" });
    }
    expect(await check("http://8.8.8.8/")).toEqual({ ok: true, addresses: ["8.8.8.8"] });
    expect(await check("http://127.0.0.1/", parseCidrs(["127.0.0.0/8"]))).toEqual({
      ok: true,
      addresses: ["127.0.0.1"],
    });
  });

  it("resolves names and sorts out DNS failures", async () => {
    expect(await check("https://public.example/x")).toEqual({ ok: true, addresses: ["93.184.216.34"] });
    expect(await check("https://inside.example/")).toMatchObject({ ok: false, reason: "forbidden_address" });
    expect(await check("https://gone.example/")).toMatchObject({ ok: false, reason: "dns_nxdomain" });
    expect(await check("https://gone.example/", [], tableLookup({}, "EAI_AGAIN"))).toMatchObject({
      ok: false,
      reason: "dns_error",
    });
  });
});
