// A full sync + first scan of a world of user-group sites, side by side with linkinator and LinkChecker.
//   sh bench/scan-world.sh up                       # as root, once: tools, namespace, dist/
//   ip netns exec poick-bench node --import tsx bench/scan.bench.ts [--groups 330] [--runs 3]
//                                  [--timeout-ms 10000] [--seed 42] [--meetup-share 0.4]
//                                  [--before DIR]   (also run the Poick built in DIR/dist, e.g. a
//                                                    worktree of main: "poick-before", alternating)
// The world (every server and its DNS, dnsmasq) lives in the namespace with the tools. Every tool
// resolves names the normal way (getaddrinfo → /etc/resolv.conf → dnsmasq) and trusts the world's CA
// the normal way for it (NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE). Each tool is a process of its own,
// run through /usr/bin/time for its peak RSS; the world counts every request it receives.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { lookup } from "node:dns/promises";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------- settings

interface Args {
  groups: number;
  runs: number;
  timeoutMs: number;
  seed: number;
  meetupShare: number;
  tools: Tool[];
  /** A checkout whose dist/ is run as "poick-before", beside this one. */
  before: string | null;
}

function parseArgs(argv: readonly string[]): Args {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, fallback: number) => {
    const n = Number(value(name) ?? fallback);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number.`);
    return n;
  };
  return {
    groups: Math.round(num("groups", 330)),
    runs: Math.round(num("runs", 3)),
    // --timeout-ms N (or the older --timeout N): the one timeout all three tools get.
    timeoutMs: Math.round(num(value("timeout-ms") === undefined ? "timeout" : "timeout-ms", 10_000)),
    seed: Math.round(num("seed", 42)),
    meetupShare: num("meetup-share", 0.4),
    tools: [
      ...((value("tools") ?? "poick,linkinator,linkchecker").split(",") as Tool[]),
      ...(value("before") ? (["poick-before"] as const) : []),
    ],
    before: value("before") ?? null,
  };
}

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), "..");
const NS_DNS = "10.77.0.1";
/** The meetup-like host answers 429 above this many requests in any one second. */
const MEETUP_ALLOWANCE = 10;
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------- the world (pure part)

type MeetupKind = "m_upcoming" | "m_recent" | "m_quiet" | "m_old" | "m_gone" | "m_renamed";
type SiteKind =
  | "alive"
  | "alive_event"
  | "slow"
  | "http404"
  | "http500"
  | "parked"
  | "hanging"
  | "refused"
  | "redirect";
type Kind = MeetupKind | SiteKind;

const MEETUP_MIX: readonly [MeetupKind, number][] = [
  ["m_upcoming", 0.55],
  ["m_recent", 0.15],
  ["m_quiet", 0.1],
  ["m_old", 0.05],
  ["m_gone", 0.1],
  ["m_renamed", 0.05],
];
const SITE_MIX: readonly [SiteKind, number][] = [
  ["alive", 0.33],
  ["alive_event", 0.2],
  ["slow", 0.07],
  ["http404", 0.1],
  ["http500", 0.05],
  ["parked", 0.08],
  ["hanging", 0.085],
  ["refused", 0.05],
  ["redirect", 0.035],
];

const KIND_LABEL: Record<Kind, string> = {
  m_upcoming: "meetup: page with an upcoming event (JSON-LD)",
  m_recent: "meetup: page with a recent past event",
  m_quiet: "meetup: page without dates, iCal has an event",
  m_old: "meetup: only events over a year old",
  m_gone: "meetup: group gone (404)",
  m_renamed: "meetup: renamed (301 to the new slug)",
  alive: "own site: alive page",
  alive_event: "own site: alive page + JSON-LD event",
  slow: "own site: alive but answers after 6–8 s",
  http404: "own site: 404",
  http500: "own site: 500",
  parked: "own site: parked page (200)",
  hanging: "own site: hanging (accepts, never answers)",
  refused: "own site: refused (nothing listens)",
  redirect: "own site: 301 to the group's new domain",
};

/** What Poick should conclude on a first scan, and what a link checker should say. */
const EXPECTED: Record<Kind, { poick: string; link: "OK" | "BROKEN" }> = {
  m_upcoming: { poick: "alive", link: "OK" },
  m_recent: { poick: "alive", link: "OK" },
  m_quiet: { poick: "alive", link: "OK" },
  m_old: { poick: "dormant", link: "OK" },
  m_gone: { poick: "dead", link: "BROKEN" },
  m_renamed: { poick: "alive", link: "OK" },
  alive: { poick: "alive", link: "OK" },
  alive_event: { poick: "alive", link: "OK" },
  slow: { poick: "alive", link: "OK" },
  http404: { poick: "dead", link: "BROKEN" },
  http500: { poick: "dead", link: "BROKEN" },
  parked: { poick: "dead", link: "BROKEN" },
  hanging: { poick: "unknown", link: "BROKEN" },
  refused: { poick: "dead", link: "BROKEN" },
  redirect: { poick: "alive", link: "OK" },
};

interface Group {
  index: number;
  kind: Kind;
  name: string;
  /** The address the listing gives. */
  url: string;
  host: string;
  delayMs: number;
  page: string;
}

interface Host {
  name: string;
  ip: string;
  https: boolean;
}

function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function gaussian(rand: () => number): number {
  const u = 1 - rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
const pick = <T>(xs: readonly T[], rand: () => number): T => xs[Math.floor(rand() * xs.length)] as T;
function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}
function kindsFor<K>(n: number, mix: readonly [K, number][], rand: () => number): K[] {
  const kinds = mix.flatMap(([k, share]) => Array<K>(Math.round(n * share)).fill(k));
  while (kinds.length < n) kinds.push(mix[0]?.[0] as K);
  return shuffle(kinds.slice(0, n), rand);
}

const S1 = ["ka", "lo", "mi", "ra", "ven", "tos", "bel", "dra", "nor", "qui", "sel", "tar", "uvo", "zen"];
const S2 = ["ba", "co", "di", "fe", "gu", "ha", "ji", "ke", "lu", "mo", "ne", "pi", "ro", "su", "ti"];
const S3 = ["ville", "burg", "grad", "polis", "mont", "stad", "ford", "wick", "haven", "dorf"];
function cityName(i: number): string {
  const a = S1[i % S1.length] as string;
  const b = S2[Math.floor(i / S1.length) % S2.length] as string;
  const c = S3[Math.floor(i / (S1.length * S2.length)) % S3.length] as string;
  return `${a[0]?.toUpperCase()}${a.slice(1)}${b}${c}`;
}

const WORDS = (
  "python meetup talk workshop community members pizza django flask data science testing packaging " +
  "async typing beginners mentoring speakers venue sponsors slides lightning coding dojo library release " +
  "pandas numpy jupyter web friendly monthly evening welcome newcomers discussion projects open source"
).split(" ");
function paragraph(rand: () => number): string {
  const words = Array.from({ length: 30 + Math.floor(rand() * 60) }, () => pick(WORDS, rand));
  return `<p>${words.join(" ")}.</p>`;
}

function eventLd(name: string, at: number): string {
  const event = {
    "@context": "https://schema.org",
    "@type": "Event",
    name: `${name} monthly meetup`,
    startDate: new Date(at).toISOString(),
    location: { "@type": "Place", name: "Community hall" },
  };
  return `<script type="application/ld+json">${JSON.stringify(event)}</script>`;
}

function sitePage(name: string, event: number | null, rand: () => number): string {
  const body = Array.from({ length: 3 + Math.floor(rand() * 25) }, () => paragraph(rand)).join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${name}</title>
${event === null ? "" : eventLd(name, event)}</head><body><header><h1>${name}</h1>
<nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
<main><p>${name} is the Python user group of our city: we meet monthly for talks and a meetup.</p>${body}</main></body></html>`;
}

function meetupPage(name: string, slug: string, event: number | null, rand: () => number): string {
  const org = {
    "@context": "https://schema.org",
    "@type": "Organization",
    name,
    url: `https://www.meetup.com/${slug}/`,
  };
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${name} | Meetup</title>
<script type="application/ld+json">${JSON.stringify(org)}</script>${event === null ? "" : eventLd(name, event)}
</head><body><h1>${name}</h1><p>Python developers meeting up: talks, workshops and pizza.</p>
${paragraph(rand)}${paragraph(rand)}</body></html>`;
}

function ical(at: number): string {
  const d = new Date(at).toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
  return `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Meetup//EN\r\nBEGIN:VEVENT\r\nUID:${at}@meetup\r\nDTSTART:${d}\r\nSUMMARY:Monthly meetup\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
}

const PARKED = [
  (d: string) =>
    `<html><head><title>${d}</title></head><body><h1>${d}</h1><p>This domain is parked free, courtesy of GoDaddy.com.</p></body></html>`,
  (d: string) =>
    `<html><head><title>${d}</title></head><body><h1>${d}</h1><p>This domain may be for sale. Buy this domain today.</p></body></html>`,
];
const page404 = "<html><head><title>Not Found</title></head><body><h1>Not Found</h1></body></html>";
const page500 = "<html><head><title>Error</title></head><body><h1>Internal Server Error</h1></body></html>";

interface World {
  groups: Group[];
  hosts: Host[];
  meetup: Host;
  wiki: Host;
  canaries: Host[];
  /** Per slug on the meetup host: the page, the iCal body, or a redirect. */
  meetupRoutes: Map<string, { page?: string; ical?: string; redirect?: string; gone?: boolean }>;
  /** Per own-site host: the group. */
  siteByHost: Map<string, Group>;
  /** Requests the meetup host needs at least, given what its pages say. */
  meetupNeeded: number;
}

function buildWorld(args: Args, now: number): World {
  const rand = rng(args.seed);
  const nMeetup = Math.round(args.groups * args.meetupShare);
  const nSites = args.groups - nMeetup;
  const meetup: Host = { name: "www.meetup.com", ip: "10.77.0.2", https: true };
  const wiki: Host = { name: "wiki.python.org", ip: "10.77.0.3", https: true };
  const canaries: Host[] = ["www.python.org", "www.wikipedia.org", "www.cloudflare.com"].map((name, i) => ({
    name,
    ip: `10.77.0.${4 + i}`,
    https: true,
  }));
  const groups: Group[] = [];
  const meetupRoutes: World["meetupRoutes"] = new Map();
  let meetupNeeded = 0;
  const mk = kindsFor(nMeetup, MEETUP_MIX, rand);
  mk.forEach((kind, i) => {
    const city = cityName(i);
    const name = `Py${city}`;
    const slug = `py-${city.toLowerCase()}`;
    const upcoming = now + (3 + rand() * 40) * DAY_MS;
    const recent = now - (5 + rand() * 120) * DAY_MS;
    const old = now - (400 + rand() * 600) * DAY_MS;
    const g: Group = {
      index: groups.length,
      kind,
      name,
      url: `https://www.meetup.com/${slug}/`,
      host: meetup.name,
      delayMs: 0,
      page: "",
    };
    meetupNeeded += 1;
    if (kind === "m_upcoming") meetupRoutes.set(slug, { page: meetupPage(name, slug, upcoming, rand) });
    if (kind === "m_recent") meetupRoutes.set(slug, { page: meetupPage(name, slug, recent, rand) });
    if (kind === "m_quiet" || kind === "m_old") {
      meetupRoutes.set(slug, {
        page: meetupPage(name, slug, null, rand),
        ical: ical(kind === "m_quiet" ? upcoming : old),
      });
      meetupNeeded += 1; // the page leaves it open: the calendar decides
    }
    if (kind === "m_gone") meetupRoutes.set(slug, { gone: true });
    if (kind === "m_renamed") {
      const newSlug = `${slug}-python`;
      meetupRoutes.set(slug, { redirect: `/${newSlug}/` });
      meetupRoutes.set(newSlug, { page: meetupPage(name, newSlug, upcoming, rand) });
      meetupNeeded += 1; // the 301 and the page
    }
    groups.push(g);
  });
  const hosts: Host[] = [meetup, wiki, ...canaries];
  const siteByHost = new Map<string, Group>();
  const sk = kindsFor(nSites, SITE_MIX, rand);
  sk.forEach((kind, j) => {
    const i = nMeetup + j;
    const city = cityName(i);
    const name = `Python ${city} User Group`;
    const domain = `${city.toLowerCase()}-python.org`;
    const useHttps = rand() < 0.6;
    const host: Host = {
      name: domain,
      ip: `10.77.${1 + Math.floor(j / 250)}.${(j % 250) + 1}`,
      https: useHttps,
    };
    // Realistic latency: log-normal, median 120 ms, p95 600 ms; slow sites 6–8 s.
    const sigma = Math.log(600 / 120) / 1.645;
    let delayMs = Math.min(3000, Math.round(120 * Math.exp(sigma * gaussian(rand))));
    if (kind === "slow") delayMs = 6000 + Math.round(rand() * 2000);
    let page = "";
    if (kind === "alive" || kind === "slow") page = sitePage(name, null, rand);
    if (kind === "alive_event") page = sitePage(name, now + (rand() < 0.5 ? 10 : -30) * DAY_MS, rand);
    if (kind === "parked") page = pick(PARKED, rand)(domain);
    const g: Group = {
      index: groups.length,
      kind,
      name,
      url: `${useHttps ? "https" : "http"}://${domain}/`,
      host: domain,
      delayMs,
      page,
    };
    groups.push(g);
    siteByHost.set(domain, g);
    hosts.push(host);
    if (kind === "redirect") {
      // The group moved to a new domain; the old one sends visitors there.
      const moved: Host = {
        name: `www.${city.toLowerCase()}.py.org`,
        ip: `10.77.9.${(j % 250) + 1}`,
        https: false,
      };
      hosts.push(moved);
      g.page = sitePage(name, null, rand);
    }
  });
  return { groups, hosts, meetup, wiki, canaries, meetupRoutes, siteByHost, meetupNeeded };
}

/** The listing as the wiki's Sphinx theme renders it (sections by region and country). */
function listingHtml(w: World): string {
  const parts: string[] = [];
  w.groups.forEach((g, i) => {
    if (i % 25 === 0) {
      if (i > 0) parts.push("</ul></section>");
      const country = `Country ${Math.floor(i / 25) + 1}`;
      parts.push(`<section id="c${i}"><h3>${country}</h3><ul class="simple">`);
    }
    parts.push(
      `<li><p>(<a class="reference external" href="${g.url}">${g.name}</a>) - the Python user group of ${g.name.replace(/^Py(thon )?/, "")}</p></li>`,
    );
  });
  parts.push("</ul></section>");
  return `<!doctype html><html><head><meta charset="utf-8"><title>Local User Groups</title></head><body>
<div class="document"><div class="documentwrapper"><div class="bodywrapper"><div class="body" role="main">
<section id="local-user-groups"><h1>Local User Groups</h1><p>Users of the Python programming language meet periodically in so-called Python User Groups.</p>
<section id="europe"><h2>Europe</h2>
${parts.join("\n")}
</section></section></div></div></div></div></body></html>`;
}

// ---------------------------------------------------------------- the world (servers)

/** Every request the world received during one tool's run. */
class Traffic {
  seen: { host: string; at: number }[] = [];
  tooMany = 0;
  reset(): void {
    this.seen = [];
    this.tooMany = 0;
  }
}

function send(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: http.OutgoingHttpHeaders = {},
) {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function handlerFor(w: World, traffic: Traffic, html: string) {
  const meetupWindow: number[] = [];
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const host = (req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
    const now = performance.now();
    traffic.seen.push({ host, at: now });
    const url = req.url ?? "/";
    if (host === w.meetup.name || host === "meetup.com") {
      while (meetupWindow.length > 0 && (meetupWindow[0] as number) <= now - 1000) meetupWindow.shift();
      meetupWindow.push(now);
      if (meetupWindow.length > MEETUP_ALLOWANCE) {
        traffic.tooMany++;
        return send(res, 429, "<html><body>Too many requests</body></html>", { "retry-after": "1" });
      }
      const delay = 120 + Math.round(Math.random() * 160);
      const m = /^\/([a-z0-9-]+)\/(events\/ical\/)?$/.exec(url);
      const route = m ? w.meetupRoutes.get(m[1] as string) : undefined;
      setTimeout(() => {
        if (!route || route.gone) return send(res, 404, page404);
        if (route.redirect) return send(res, 301, "", { location: route.redirect });
        if (m?.[2]) {
          if (!route.ical) return send(res, 404, page404);
          return send(res, 200, route.ical, { "content-type": "text/calendar; charset=utf-8" });
        }
        return send(res, 200, route.page ?? page404);
      }, delay).unref();
      return;
    }
    if (host === w.wiki.name) {
      if (url === "/python/community/LocalUserGroups.html") return send(res, 200, html);
      return send(res, 404, page404);
    }
    if (w.canaries.some((c) => c.name === host)) return send(res, 200, "<html><body>ok</body></html>");
    const moved = /^www\.(.+)\.py\.org$/.exec(host);
    const g = moved ? w.siteByHost.get(`${moved[1]}-python.org`) : w.siteByHost.get(host);
    if (!g) return send(res, 404, page404);
    if (g.kind === "hanging") return; // accepts, reads the request, never answers
    setTimeout(() => {
      if (url !== "/") return send(res, 404, page404);
      if (moved) return send(res, 200, g.page);
      switch (g.kind) {
        case "alive":
        case "alive_event":
        case "slow":
        case "parked":
          return send(res, 200, g.page);
        case "redirect":
          return send(res, 301, "", {
            location: `http://www.${g.host.replace(/-python\.org$/, "")}.py.org/`,
          });
        case "http404":
          return send(res, 404, page404);
        default:
          return send(res, 500, page500);
      }
    }, g.delayMs).unref();
  };
}

function pki(dir: string, names: readonly string[]): { ca: string; key: string; cert: string } {
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=Bench World CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  run(["req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=bench world"]);
  writeFileSync(
    path.join(dir, "leaf.ext"),
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\n`,
  );
  run([
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.pem",
    "-days",
    "2",
    "-extfile",
    "leaf.ext",
  ]);
  const read = (f: string) => readFileSync(path.join(dir, f), "utf8");
  return { ca: read("ca.pem"), key: read("leaf.key"), cert: read("leaf.pem") };
}

async function startWorld(w: World, dir: string, traffic: Traffic) {
  const names = [...new Set([...w.hosts.map((h) => h.name), "meetup.com"])];
  const tls = pki(dir, names);
  writeFileSync(path.join(dir, "world-ca.pem"), tls.ca);
  const handler = handlerFor(w, traffic, listingHtml(w));
  const servers: http.Server[] = [];
  const listen = (server: http.Server, ip: string, port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, ip, () => resolve());
    });
  for (const h of w.hosts) {
    const g = w.siteByHost.get(h.name);
    if (g?.kind === "refused") continue; // nothing listens: connections are refused
    const plain = http.createServer(handler);
    plain.keepAliveTimeout = 5000;
    await listen(plain, h.ip, 80);
    servers.push(plain);
    if (h.https) {
      const secure = https.createServer({ key: tls.key, cert: tls.cert }, handler);
      secure.keepAliveTimeout = 5000;
      await listen(secure, h.ip, 443);
      servers.push(secure);
    }
  }
  // The world's DNS: every name of the world, nothing else.
  const hostsFile = path.join(dir, "world.hosts");
  writeFileSync(
    hostsFile,
    `${[...w.hosts.map((h) => `${h.ip} ${h.name}`), `${w.meetup.ip} meetup.com`].join("\n")}\n`,
  );
  const dns = spawn(
    "dnsmasq",
    [
      "--keep-in-foreground",
      "--no-resolv",
      "--no-hosts",
      `--addn-hosts=${hostsFile}`,
      `--listen-address=${NS_DNS}`,
      "--bind-interfaces",
      "--cache-size=10000",
      "--user=root",
      "--pid-file=",
      "--log-facility=-",
      "--quiet-dhcp",
    ],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 50; i++) {
    try {
      const a = await lookup(w.meetup.name, { family: 4 });
      if (a.address === w.meetup.ip) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  const check = await lookup(w.meetup.name, { family: 4 });
  if (check.address !== w.meetup.ip)
    throw new Error("The world's DNS does not answer: run inside the namespace (see bench/scan-world.sh).");
  // A stopped bench must not leave the world's DNS running in the namespace.
  const stopDns = () => dns.kill("SIGTERM");
  process.once("SIGINT", () => {
    stopDns();
    process.exit(130);
  });
  process.once("SIGTERM", () => {
    stopDns();
    process.exit(143);
  });
  const close = async () => {
    stopDns();
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  };
  return { caFile: path.join(dir, "world-ca.pem"), close };
}

// ---------------------------------------------------------------- the tools

type Tool = "poick" | "poick-before" | "linkinator" | "linkchecker";
const LISTING = "https://wiki.python.org/python/community/LocalUserGroups.html";

interface Run {
  tool: Tool;
  round: number;
  wallMs: number;
  /** Poick only: the scan alone (its own figure), and the sync. */
  scanMs?: number;
  syncMs?: number;
  /** Poick only: each process's peak RSS (KiB), sync then scan. */
  rssKiBs?: [number, number];
  peakRssKiB: number;
  requests: number;
  tooMany: number;
  peakHostPerSecond: number;
  peakMeetupPerSecond: number;
  verdicts: Map<string, string>;
  commands: string[];
  figures?: unknown;
  /** The machine's 1-minute load average as the run started and as it ended. */
  load: [number, number];
}

function timed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ out: string; err: string; rssKiB: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child: ChildProcess = spawn("/usr/bin/time", ["-f", "MAXRSS_KIB %M CPU_S %U %S", cmd, ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout?.on("data", (d) => {
      out += String(d);
    });
    child.stderr?.on("data", (d) => {
      err += String(d);
    });
    child.on("error", reject);
    child.on("close", () => {
      const ms = performance.now() - started;
      const rss = Number(/MAXRSS_KIB (\d+)/.exec(err)?.[1] ?? 0);
      resolve({ out, err, rssKiB: rss, ms });
    });
  });
}

/** The last run's raw output of each tool, for a look by hand (bench/.work is not committed). */
function keep(name: string, text: string): void {
  mkdirSync(path.join(ROOT, "bench/.work"), { recursive: true });
  writeFileSync(path.join(ROOT, "bench/.work", name), text);
}

const shown = (cmd: string, args: string[], env: Record<string, string>) =>
  `${Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ")} ${cmd} ${args.join(" ")}`.trim();

async function runPoick(args: Args, caFile: string, dir: string, cli = "dist/cli.js") {
  const db = path.join(dir, `poick-${Date.now()}.db`);
  // Defaults except the database, the timeout all three tools share, and the world's private range.
  const env = {
    POICK_DB: db,
    POICK_TIMEOUT_MS: String(args.timeoutMs),
    POICK_ALLOW_NETS: "10.77.0.0/16",
    NODE_EXTRA_CA_CERTS: caFile,
    POICK_LOG_LEVEL: "warn",
  };
  const node = process.execPath;
  const sync = await timed(node, [cli, "sync"], { ...process.env, ...env });
  if (!/Found \d+ groups/.test(sync.out)) throw new Error(`poick sync failed:\n${sync.out}\n${sync.err}`);
  const scan = await timed(node, [cli, "scan", "--json"], { ...process.env, ...env });
  const outcome = JSON.parse(scan.out) as { kind: string; figures: { wallMs: number } };
  keep("poick-scan.json", scan.out + scan.err);
  if (outcome.kind !== "done") throw new Error(`poick scan: ${scan.out.slice(0, 500)}`);
  // The scan's outcome is a summary; the verdicts are read back as a user would (not timed).
  const listed = await timed(node, [cli, "list", "--json"], { ...process.env, ...env });
  const groups = JSON.parse(listed.out) as { name: string; status: string }[];
  rmSync(db, { force: true });
  return {
    wallMs: sync.ms + scan.ms,
    syncMs: sync.ms,
    rssKiBs: [sync.rssKiB, scan.rssKiB] as [number, number],
    scanMs: outcome.figures.wallMs,
    peakRssKiB: Math.max(sync.rssKiB, scan.rssKiB),
    verdicts: new Map(groups.map((g) => [g.name, g.status])),
    figures: outcome.figures,
    commands: [shown("node", [cli, "sync"], env), shown("node", [cli, "scan", "--json"], env)],
  };
}

async function runLinkinator(args: Args, caFile: string, w: World) {
  const env = { NODE_EXTRA_CA_CERTS: caFile };
  const a = [
    "node_modules/linkinator/build/src/cli.js",
    LISTING,
    "--timeout",
    String(args.timeoutMs),
    "--format",
    "json",
  ];
  const r = await timed(process.execPath, a, { ...process.env, ...env });
  keep("linkinator.json", r.out + r.err);
  const json = JSON.parse(r.out.slice(r.out.indexOf("{"))) as { links: { url: string; state: string }[] };
  const byUrl = new Map(json.links.map((l) => [l.url, l.state]));
  return {
    wallMs: r.ms,
    peakRssKiB: r.rssKiB,
    verdicts: new Map(w.groups.map((g) => [g.name, byUrl.get(g.url) ?? "missing"])),
    commands: [shown("node", a, env)],
  };
}

async function runLinkChecker(args: Args, caFile: string, w: World) {
  const env = { REQUESTS_CA_BUNDLE: caFile };
  // LinkChecker reads its trusted roots from its configuration (sslverify), not from the environment.
  const rc = path.join(path.dirname(caFile), "linkcheckerrc");
  writeFileSync(rc, `[checking]\nsslverify=${caFile}\n`);
  const a = [
    "-f",
    rc,
    "--check-extern",
    "-r",
    "1",
    "--timeout",
    String(Math.round(args.timeoutMs / 1000)),
    "--no-status",
    "-o",
    "csv",
    LISTING,
  ];
  const r = await timed("linkchecker", a, { ...process.env, ...env });
  keep("linkchecker.csv", r.out + r.err);
  // CSV: urlname;parentname;baseref;result;warningstring;infostring;valid;url;...
  const byUrl = new Map<string, string>();
  for (const line of r.out.split("\n")) {
    if (line.startsWith("#") || !line.includes(";")) continue;
    const cols = line.split(";");
    const valid = cols[6] ?? "";
    const url = cols[7] ?? "";
    if (valid === "True" || valid === "False") byUrl.set(url, valid === "True" ? "OK" : "BROKEN");
  }
  return {
    wallMs: r.ms,
    peakRssKiB: r.rssKiB,
    // LinkChecker's CSV lists only the links it found broken (valid ones only with --verbose).
    verdicts: new Map(w.groups.map((g) => [g.name, byUrl.get(g.url) ?? "OK"])),
    commands: [shown("linkchecker", a, env)],
  };
}

/** The most requests one host received in any one-second window, per host. */
function peakPerSecond(seen: readonly { host: string; at: number }[]): Map<string, number> {
  const byHost = new Map<string, number[]>();
  for (const r of seen) {
    const l = byHost.get(r.host) ?? [];
    l.push(r.at);
    byHost.set(r.host, l);
  }
  const out = new Map<string, number>();
  for (const [host, times] of byHost) {
    times.sort((a, b) => a - b);
    let lo = 0;
    let best = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= 1000) lo++;
      best = Math.max(best, hi - lo + 1);
    }
    out.set(host, best);
  }
  return out;
}

// ---------------------------------------------------------------- figures

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
};
const secs = (ms: number) => (ms / 1000).toFixed(1);
const mib = (kib: number) => (kib / 1024).toFixed(0);

function correct(w: World, run: Run): number {
  return w.groups.filter((g) => {
    const v = run.verdicts.get(g.name);
    return run.tool.startsWith("poick") ? v === EXPECTED[g.kind].poick : v === EXPECTED[g.kind].link;
  }).length;
}

function accuracyTable(w: World, runs: Run[]): string[] {
  const tools: Tool[] = ["poick", "linkinator", "linkchecker"];
  const first = (t: Tool) => runs.find((r) => r.tool === t) as Run;
  const lines = [
    "| world truth | groups | Poick expected | Poick right | link checkers expected | linkinator right | LinkChecker right | Poick said | linkinator said | LinkChecker said |",
    "|---|--:|---|--:|---|--:|--:|---|---|---|",
  ];
  const kinds = [...new Set(w.groups.map((g) => g.kind))];
  for (const kind of kinds) {
    const gs = w.groups.filter((g) => g.kind === kind);
    const said = (t: Tool) => {
      const c = new Map<string, number>();
      for (const g of gs) {
        const v = first(t).verdicts.get(g.name) ?? "missing";
        c.set(v, (c.get(v) ?? 0) + 1);
      }
      return [...c].map(([v, n]) => `${v} ${n}`).join(", ");
    };
    const right = (t: Tool) =>
      gs.filter(
        (g) => first(t).verdicts.get(g.name) === (t === "poick" ? EXPECTED[kind].poick : EXPECTED[kind].link),
      ).length;
    lines.push(
      `| ${KIND_LABEL[kind]} | ${gs.length} | ${EXPECTED[kind].poick} | ${right("poick")} | ${EXPECTED[kind].link} | ${right("linkinator")} | ${right("linkchecker")} | ${said("poick")} | ${said("linkinator")} | ${said("linkchecker")} |`,
    );
  }
  void tools;
  return lines;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!readFileSync("/etc/resolv.conf", "utf8").includes(NS_DNS)) {
    process.stderr.write(
      "This bench runs inside its own network namespace, with its own DNS:\n  sh bench/scan-world.sh up\n  ip netns exec poick-bench node --import tsx bench/scan.bench.ts\n",
    );
    process.exit(2);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "poick-world-"));
  // LinkChecker drops root for nobody: it must still read the world's CA.
  chmodSync(dir, 0o755);
  const w = buildWorld(args, Date.now());
  const traffic = new Traffic();
  process.stderr.write(
    `World: ${w.groups.length} groups, ${w.hosts.length} hosts; starting servers and DNS…\n`,
  );
  const world = await startWorld(w, dir, traffic);
  const runs: Run[] = [];
  try {
    const order = args.tools;
    for (let round = 1; round <= args.runs; round++) {
      const k = (round - 1) % order.length;
      const turn = [...order.slice(k), ...order.slice(0, k)];
      for (const tool of turn) {
        traffic.reset();
        const loadBefore = os.loadavg()[0] as number;
        const r =
          tool === "poick" || tool === "poick-before"
            ? await runPoick(
                args,
                world.caFile,
                dir,
                tool === "poick-before" ? path.join(args.before as string, "dist/cli.js") : undefined,
              )
            : tool === "linkinator"
              ? await runLinkinator(args, world.caFile, w)
              : await runLinkChecker(args, world.caFile, w);
        const peaks = peakPerSecond(traffic.seen.filter((s) => s.host !== w.wiki.name));
        const run: Run = {
          tool,
          round,
          ...r,
          requests: traffic.seen.length,
          tooMany: traffic.tooMany,
          peakHostPerSecond: Math.max(0, ...peaks.values()),
          peakMeetupPerSecond: peaks.get(w.meetup.name) ?? 0,
          load: [loadBefore, os.loadavg()[0] as number],
        };
        runs.push(run);
        const t0 = traffic.seen[0]?.at ?? 0;
        const lastOf = (host: string | null) =>
          Math.max(0, ...traffic.seen.filter((x) => host === null || x.host === host).map((x) => x.at - t0));
        process.stderr.write(
          `  round ${round} ${tool.padEnd(11)} ${secs(run.wallMs)} s, ${run.requests} requests, ${run.tooMany} × 429, ${correct(w, run)}/${w.groups.length} right, ${mib(run.peakRssKiB)} MiB, load ${run.load.map((l) => l.toFixed(1)).join(" → ")}; last request to the meetup host at ${secs(lastOf(w.meetup.name))} s, last of all at ${secs(lastOf(null))} s\n`,
        );
        await new Promise((res) => setTimeout(res, 1000));
      }
    }
  } finally {
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const meetupGroups = w.groups.filter((g) => g.host === w.meetup.name).length;
  const boundMs = (w.meetupNeeded / MEETUP_ALLOWANCE) * 1000 + args.timeoutMs;
  const out: string[] = [
    `# Full sync + first scan of a ${w.groups.length}-group world: Poick vs linkinator vs LinkChecker`,
    "",
    `- ${meetupGroups} groups (${Math.round(args.meetupShare * 100)}%) on one meetup-like host (https://www.meetup.com, 429 with Retry-After: 1 above ${MEETUP_ALLOWANCE} requests in any second; 120–280 ms per answer; group pages, iCal at /<slug>/events/ical/); the other ${w.groups.length - meetupGroups} each on a host of their own (latency log-normal, median 120 ms, p95 600 ms; 60% https).`,
    `- The world's own DNS: dnsmasq in the network namespace poick-bench answers the world's ${w.hosts.length + 1} names; every tool resolves through /etc/resolv.conf and trusts the world's CA. Timeout ${args.timeoutMs / 1000} s for all three, defaults otherwise. Seed ${args.seed}. Node ${process.version}, ${os.cpus().length} CPUs.`,
    `- The bound: requests the meetup host needs (${w.meetupNeeded}: one page per group, plus the calendar where the page shows no date, plus the 301 of a renamed group) ÷ ${MEETUP_ALLOWANCE}/s + one timeout (${args.timeoutMs / 1000} s) = **${secs(boundMs)} s**.`,
    "",
    "| tool | wall, median (s) | runs (s) | requests | 429s | peak per host in any 1 s (meetup host) | verdicts right | peak RSS, median (MiB) | load avg (1 min) over its runs |",
    "|---|--:|---|--:|--:|--:|--:|--:|--:|",
  ];
  for (const tool of args.tools) {
    const rs = runs.filter((r) => r.tool === tool);
    const range = (f: (r: Run) => number) =>
      [...new Set([Math.min(...rs.map(f)), Math.max(...rs.map(f))])].join("–");
    out.push(
      `| ${tool} | ${secs(median(rs.map((r) => r.wallMs)))} | ${rs.map((r) => secs(r.wallMs)).join(", ")} | ${range((r) => r.requests)} | ${range((r) => r.tooMany)} | ${range((r) => r.peakHostPerSecond)} (${range((r) => r.peakMeetupPerSecond)}) | ${range((r) => correct(w, r))} / ${w.groups.length} | ${mib(median(rs.map((r) => r.peakRssKiB)))} | ${Math.min(...rs.flatMap((r) => r.load)).toFixed(1)}–${Math.max(...rs.flatMap((r) => r.load)).toFixed(1)} |`,
    );
  }
  const poickLines = (tool: Tool, label: string) => {
    const poick = runs.filter((r) => r.tool === tool);
    if (poick.length === 0) return [];
    const scanMedian = median(poick.map((r) => r.scanMs ?? 0));
    return [
      "",
      `${label}: scan alone ${poick.map((r) => secs(r.scanMs ?? 0)).join(", ")} s (median ${secs(scanMedian)} s), sync ${poick.map((r) => secs(r.syncMs ?? 0)).join(", ")} s; peak RSS sync / scan ${poick.map((r) => (r.rssKiBs ?? [0, 0]).map((k) => Math.round(k / 1024)).join(" / ")).join(", ")} MiB. **Scan / bound = ${(scanMedian / boundMs).toFixed(2)}×**, sync + scan / bound = ${(median(poick.map((r) => r.wallMs)) / boundMs).toFixed(2)}×.`,
      `${label}'s own figures (run 1): \`${JSON.stringify(poick[0]?.figures)}\``,
    ];
  };
  out.push(
    ...poickLines("poick", "Poick"),
    ...poickLines("poick-before", `Poick before (${args.before})`),
    "",
    "## Accuracy (run 1 of each)",
    "",
    ...((["poick", "linkinator", "linkchecker"] as const).every((t) => args.tools.includes(t))
      ? accuracyTable(w, runs)
      : []),
    "",
    "## Command lines (run inside `ip netns exec poick-bench`)",
    "",
    ...[
      ...new Set(
        runs.flatMap((r) =>
          r.commands.map((c) =>
            c.replace(/poick-\d+\.db/, "poick.db").replace(/\/tmp\/poick-world-\w+/g, "$WORLD"),
          ),
        ),
      ),
    ].map((c) => `    ${c}`),
  );
  process.stdout.write(`${out.join("\n")}\n`);
}

await main();
