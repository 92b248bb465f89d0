import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type ActivityEvidence, extractActivity, mergeActivity } from "../../src/liveness/activity.js";
import { type ClassifyInput, classify, sameSite } from "../../src/liveness/classify.js";
import type { ProbeResult } from "../../src/liveness/probe-types.js";
import { REASON_CODES, REASONS, type ReasonCode, reasonText } from "../../src/liveness/reasons.js";
import { html, probeResult } from "../helpers/probe-result.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/pages/${name}`, import.meta.url), "utf8");

const NOW = new Date("2026-11-01T00:00:00Z");
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
const activity = (a: Partial<ActivityEvidence>): ActivityEvidence => ({
  lastActivityAt: null,
  nextEventAt: null,
  feeds: [],
  sources: ["json-ld"],
  ...a,
});

function judge(probe: Partial<ProbeResult>, extra: Partial<ClassifyInput> = {}) {
  const p = probeResult(probe);
  return classify({ groupUrl: p.url, probe: p, activity: null, now: NOW, dormantAfterDays: 365, ...extra });
}

const page = (title: string, body: string, head = "") => html({ title, body, head });

const CLOUDFLARE = page(
  "Just a moment...",
  "<p>Checking if the site connection is secure</p><p>Enable JavaScript and cookies to continue</p>",
  '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=1"></script>',
);
const SPAM = page(
  "Slot Gacor Hari Ini | Situs Judi Online Terpercaya",
  "<p>Daftar slot online, togel, casino dan poker online. Bonus maxwin!</p>",
);
const POKER_GROUP = page(
  "PyFoo — Python User Group Foo",
  `<h1>PyFoo</h1><p>The Python user group of Foo. Next meetup: building a poker bot in Python,
   then lightning talks. Talk slots still open.</p>`,
);

interface Case {
  name: string;
  probe: Partial<ProbeResult>;
  extra?: Partial<ClassifyInput>;
  reason: ReasonCode;
}

const err = (code: NonNullable<ProbeResult["error"]>["code"]) => ({
  error: { code, message: `test ${code}` },
});

const CASES: Case[] = [
  { name: "a genuine page without dates", probe: {}, reason: "ok" },
  {
    name: "recent activity",
    probe: {},
    extra: { activity: activity({ lastActivityAt: daysAgo(30) }) },
    reason: "recent_activity",
  },
  {
    name: "an upcoming event",
    probe: {},
    extra: {
      activity: activity({ lastActivityAt: daysAgo(900), nextEventAt: new Date("2026-12-01T18:00:00Z") }),
    },
    reason: "upcoming_event",
  },
  {
    name: "only old activity",
    probe: {},
    extra: { activity: activity({ lastActivityAt: daysAgo(400) }) },
    reason: "no_recent_activity",
  },
  { name: "NXDOMAIN", probe: err("dns_nxdomain"), reason: "dns_nxdomain" },
  { name: "connection refused", probe: err("refused"), reason: "refused" },
  { name: "a TLS failure", probe: err("tls"), reason: "tls_error" },
  { name: "a timeout", probe: err("timeout"), reason: "timeout" },
  { name: "a reset", probe: err("reset"), reason: "network_error" },
  { name: "a DNS server failure", probe: err("dns_error"), reason: "network_error" },
  { name: "another network error", probe: err("other"), reason: "network_error" },
  { name: "a proxy failure", probe: err("proxy"), reason: "proxy_error" },
  { name: "a private address", probe: err("forbidden_address"), reason: "forbidden_address" },
  {
    name: "a certificate chain missing its intermediate",
    probe: err("tls_chain"),
    reason: "tls_incomplete_chain",
  },
  { name: "a redirect to a login page", probe: err("login_wall"), reason: "login_wall" },
  {
    name: "a 503 with Retry-After held through retries",
    probe: { ...err("transient"), status: 503 },
    reason: "server_busy",
  },
  { name: "a body in three stacked encodings", probe: err("hostile_encoding"), reason: "hostile_body" },
  { name: "a cookie loop seen over all hops", probe: err("cookie_loop"), reason: "cookie_loop" },
  { name: "a malformed URL", probe: err("bad_url"), reason: "bad_url" },
  { name: "too many redirects", probe: err("too_many_redirects"), reason: "too_many_redirects" },
  {
    name: "a redirect loop without cookies",
    probe: {
      ...err("redirect_loop"),
      hops: [
        { url: "https://pyexample.org/", status: 301, location: "https://www.pyexample.org/", ms: 3 },
        { url: "https://www.pyexample.org/", status: 301, location: "https://pyexample.org/", ms: 3 },
      ],
    },
    reason: "redirect_loop",
  },
  {
    name: "a redirect loop that sets a cookie",
    probe: { ...err("redirect_loop"), headers: { "Set-Cookie": "sid=1; Path=/" } },
    reason: "cookie_loop",
  },
  {
    name: "a redirect loop through a cookie check",
    probe: {
      ...err("redirect_loop"),
      url: "https://www.meetup.com/pyfoo/",
      hops: [
        { url: "https://www.meetup.com/pyfoo/", status: 302, location: "/?_cookie-check=x", ms: 3 },
        { url: "https://www.meetup.com/?_cookie-check=x", status: 302, location: "/pyfoo/", ms: 3 },
      ],
    },
    reason: "cookie_loop",
  },
  {
    name: "a 404",
    probe: { status: 404, body: page("Not Found", "<h1>Not Found</h1>") },
    reason: "http_404",
  },
  { name: "a 410", probe: { status: 410, body: "" }, reason: "http_410" },
  { name: "a 500", probe: { status: 500, body: "Internal Server Error" }, reason: "http_5xx" },
  {
    name: "a 502 from a proxy",
    probe: { status: 502, body: page("502 Bad Gateway", "<h1>Bad Gateway</h1>") },
    reason: "http_5xx",
  },
  { name: "a 503 Cloudflare challenge", probe: { status: 503, body: CLOUDFLARE }, reason: "bot_wall" },
  { name: "a 401", probe: { status: 401 }, reason: "bot_wall" },
  {
    name: "a 403",
    probe: { status: 403, body: page("403 Forbidden", "<h1>Forbidden</h1>") },
    reason: "bot_wall",
  },
  { name: "a 429", probe: { status: 429, retryAfterSec: 60 }, reason: "bot_wall" },
  { name: "a 451", probe: { status: 451 }, reason: "bot_wall" },
  { name: "a 200 Cloudflare challenge", probe: { body: CLOUDFLARE }, reason: "bot_wall" },
  { name: "a 400", probe: { status: 400 }, reason: "http_other" },
  { name: "a 304", probe: { status: 304, body: null }, reason: "http_other" },
  { name: "an empty 200", probe: { body: "  \n" }, reason: "empty_page" },
  { name: "a 204", probe: { status: 204, body: null }, reason: "empty_page" },
  { name: "a PDF", probe: { contentType: "application/pdf", body: null }, reason: "ok" },
  { name: "the Sedo fixture", probe: { body: fixture("parked-sedo.html") }, reason: "for_sale" },
  { name: "the Namecheap fixture", probe: { body: fixture("parked-namecheap.html") }, reason: "parked" },
  {
    name: "a German for-sale page",
    probe: { body: page("pyfoo.de", "<h1>Diese Domain steht zum Verkauf</h1><p>Jetzt kaufen</p>") },
    reason: "for_sale",
  },
  {
    name: "a French for-sale page",
    probe: { body: page("pyfoo.fr", "<p>Ce domaine est à vendre !</p>") },
    reason: "for_sale",
  },
  {
    name: "a Spanish for-sale page",
    probe: { body: page("pyfoo.es", "<p>Este dominio está a la venta</p>") },
    reason: "for_sale",
  },
  {
    name: "a GoDaddy-style parked page",
    probe: {
      body: page(
        "pyfoo.org",
        '<div id="root"></div>',
        '<script>window.park = "eyJ1dWlkIjoiYWJjIn0=";</script><script src="https://img1.wsimg.com/parking-lander/static/js/main.js"></script>',
      ),
    },
    reason: "parked",
  },
  { name: "a gambling takeover", probe: { body: SPAM }, reason: "spam_takeover" },
  {
    name: "the soft-404 fixture served with 200",
    probe: { body: fixture("soft-404.html") },
    reason: "soft_404",
  },
  {
    name: "a Meetup group that lands on the home page",
    probe: {
      url: "https://www.meetup.com/old-python-group/",
      finalUrl: "https://www.meetup.com/?_cookie-check=Yq3",
      body: page("Meetup - We are what we do", "<h1>The people platform</h1>"),
    },
    reason: "meetup_group_gone",
  },
  {
    name: "a Meetup group page that says it is gone",
    probe: {
      url: "https://www.meetup.com/old-python-group/",
      body: page("Meetup", "<h2>This group is no longer active</h2>"),
    },
    reason: "meetup_group_gone",
  },
  {
    name: "a Meetup group 404",
    probe: { url: "https://www.meetup.com/old-python-group/", status: 404 },
    reason: "meetup_group_gone",
  },
  {
    name: "a redirect to an unrelated company",
    probe: {
      url: "https://pyfoo.org/",
      finalUrl: "https://www.acme-consulting.com/",
      body: page(
        "Acme Consulting — Cloud solutions",
        "<h1>We build software for enterprises</h1><p>Java, Python, Go.</p>",
      ),
    },
    reason: "redirect_offsite",
  },
  { name: "a Python page mentioning poker once", probe: { body: POKER_GROUP }, reason: "ok" },
  {
    name: "a group page that says the group is on hiatus",
    probe: { body: page("PyFoo", "<h1>PyFoo</h1><p>The Python user group of Foo is on hiatus.</p>") },
    extra: { activity: activity({ paused: "on hiatus", sources: [] }) },
    reason: "on_hiatus",
  },
  {
    name: "a web host's default page",
    probe: {
      body: page("Welcome to nginx!", "<h1>Welcome to nginx!</h1><p>The web server is installed.</p>"),
    },
    reason: "hosting_default",
  },
  {
    name: "an expired domain",
    probe: { body: page("pyfoo.org", "<h1>This domain name has expired</h1><p>Renew it now.</p>") },
    reason: "domain_expired",
  },
  {
    name: "a suspended account",
    probe: {
      body: page("Account Suspended", "<h1>Account Suspended</h1><p>Contact your hosting provider.</p>"),
    },
    reason: "account_suspended",
  },
  {
    name: "somebody else's shop",
    probe: {
      body: page(
        "Handmade candles",
        "<h1>Handmade candles</h1><p>Buy our lavender candle, price €12.</p><form><input name=qty><button>Add</button></form>",
      ),
    },
    reason: "not_the_group",
  },
  {
    name: "a page with no sign of the group and no takeover marks",
    probe: { body: page("Muddy Boots", "<h1>Muddy Boots</h1><p>A garden diary: dahlias and seeds.</p>") },
    reason: "no_sign_of_group",
  },
];

describe("classify: one case per reason", () => {
  it.each(CASES)("$name → $reason", ({ probe, extra, reason }) => {
    const v = judge(probe, extra);
    expect(v.reason).toBe(reason);
    expect(v.status).toBe(REASONS[reason].status);
    expect(JSON.parse(JSON.stringify(v.evidence))).toEqual(v.evidence);
  });

  it("covers every reason code", () => {
    // no_website comes from following a wiki link (test/jobs/wiki-link.test.ts), not from a page; the
    // website_gone_* codes from a group's channels when its site is dead (test/jobs/scan.test.ts).
    const covered = new Set<ReasonCode>([
      ...CASES.map((c) => c.reason),
      "no_website",
      "website_gone_meetup_active",
      "website_gone_list_active",
    ]);
    expect(REASON_CODES.filter((code) => !covered.has(code))).toEqual([]);
  });
});

describe("classify: evidence and dates", () => {
  it("keeps the facts a person would want to see", () => {
    const v = judge({
      body: fixture("parked-sedo.html"),
      finalUrl: "https://pyheidelberg.de/",
      url: "http://pyheidelberg.de/",
    });
    expect(v.evidence).toMatchObject({
      httpStatus: 200,
      finalUrl: "https://pyheidelberg.de/",
      title: "pyheidelberg.de - This domain may be for sale!",
      redirects: 1,
    });
    expect(v.evidence.matches).toEqual(expect.arrayContaining(["buy this domain"]));
    const down = judge(err("dns_nxdomain"));
    expect(down.evidence).toMatchObject({
      errorCode: "dns_nxdomain",
      errorMessage: "test dns_nxdomain",
      httpStatus: null,
    });
  });

  it("reports dates for live groups but not for dead ones", () => {
    const dates = activity({
      lastActivityAt: new Date("2026-09-17T16:30:00Z"),
      nextEventAt: new Date("2026-12-10T17:30:00Z"),
    });
    const alive = judge({}, { activity: dates });
    expect(alive).toMatchObject({
      status: "alive",
      lastActivityAt: "2026-09-17T16:30:00.000Z",
      nextEventAt: "2026-12-10T17:30:00.000Z",
    });
    const dead = judge({ body: fixture("parked-namecheap.html") }, { activity: dates });
    expect(dead).toMatchObject({ status: "dead", lastActivityAt: null, nextEventAt: null });
  });

  it("counts a past 'next event' as activity, not as upcoming", () => {
    const v = judge({}, { activity: activity({ nextEventAt: daysAgo(10) }) });
    expect(v.reason).toBe("recent_activity");
  });

  it("uses the dormancy threshold it is given", () => {
    const old = activity({ lastActivityAt: daysAgo(100) });
    expect(judge({}, { activity: old, dormantAfterDays: 365 }).status).toBe("alive");
    expect(judge({}, { activity: old, dormantAfterDays: 90 }).status).toBe("dormant");
  });

  it("lets a calendar's upcoming event outweigh a bot wall or a timeout, but never a dead page", () => {
    const upcoming = activity({ nextEventAt: new Date("2026-11-20T18:00:00Z"), sources: ["ical"] });
    const walled = judge({ status: 403 }, { activity: upcoming });
    expect(walled).toMatchObject({
      status: "alive",
      reason: "upcoming_event",
      nextEventAt: "2026-11-20T18:00:00.000Z",
    });
    expect(walled.evidence.pageProblem).toBe("bot_wall");
    expect(judge(err("timeout"), { activity: upcoming }).reason).toBe("upcoming_event");
    expect(judge({ status: 403 }, { activity: activity({ lastActivityAt: daysAgo(800) }) }).reason).toBe(
      "bot_wall",
    );
    expect(judge({ body: SPAM }, { activity: upcoming }).reason).toBe("spam_takeover");
  });
});

describe("classify: the Meetup fixtures", () => {
  const url = "https://www.meetup.com/python-users-group-zurich/";
  const at = (now: Date) => {
    const body = fixture("meetup-group.html");
    const pageDates = extractActivity({ body, contentType: "text/html", url, now });
    const icalDates = extractActivity({
      body: fixture("meetup-events.ics"),
      contentType: "text/calendar",
      url: pageDates.feeds[0]!,
      now,
    });
    const probe = probeResult({ url, body });
    return classify({
      groupUrl: url,
      probe,
      activity: mergeActivity(pageDates, icalDates),
      now,
      dormantAfterDays: 365,
    });
  };

  it("is alive with an upcoming event in November 2026", () => {
    const v = at(new Date("2026-11-01T00:00:00Z"));
    expect(v).toMatchObject({
      status: "alive",
      reason: "upcoming_event",
      nextEventAt: "2026-12-10T17:30:00.000Z",
      lastActivityAt: "2026-09-17T16:30:00.000Z",
    });
    expect(v.evidence.meetupGroup).toBe(true);
  });

  it("is dormant in June 2028", () => {
    const v = at(new Date("2028-06-01T00:00:00Z"));
    expect(v).toMatchObject({
      status: "dormant",
      reason: "no_recent_activity",
      lastActivityAt: "2027-01-14T17:00:00.000Z",
      nextEventAt: null,
    });
  });
});

describe("classify: redirects", () => {
  const GROUP = page(
    "PyFoo — Python User Group Foo",
    "<h1>PyFoo</h1><p>The Python user group of Foo. Monthly meetups.</p>",
  );
  const COMPANY = page("Acme Corp", "<h1>Enterprise cloud solutions</h1><p>Contact sales.</p>");
  const NEWS = page("Foo Daily News", "<h1>Top stories</h1><p>Weather, sport and politics.</p>");

  it.each([
    ["http → https", "http://pyfoo.org/", "https://pyfoo.org/", GROUP, "ok"],
    // Identity first: a same-site page that shows no sign of the group is no longer "ok" but unknown.
    ["apex → www", "https://pyfoo.org/", "https://www.pyfoo.org/", COMPANY, "no_sign_of_group"],
    ["apex → www, the group's page", "https://pyfoo.org/", "https://www.pyfoo.org/", GROUP, "ok"],
    ["www → apex", "https://www.pyfoo.org/", "https://pyfoo.org/en/", GROUP, "ok"],
    ["to a subdomain", "https://pyfoo.org/", "https://blog.pyfoo.org/", NEWS, "no_sign_of_group"],
    [
      "meetup.com → www.meetup.com",
      "https://meetup.com/pyfoo/",
      "https://www.meetup.com/pyfoo/",
      GROUP,
      "ok",
    ],
    [
      "a renamed Meetup group",
      "https://www.meetup.com/pyfoo/",
      "https://www.meetup.com/python-foo/",
      GROUP,
      "ok",
    ],
    [
      "to the group's Python wiki page",
      "https://pyfoo.org/",
      "https://wiki.python.org/moin/PyFoo",
      GROUP,
      "ok",
    ],
    [
      "to a new domain that is the same group",
      "https://pyfoo.org/",
      "https://foo.python.community/",
      GROUP,
      "ok",
    ],
    [
      "to a new domain naming the old one",
      "https://pykassel.de/",
      "https://kassel-python.org/",
      page("PyKassel", "<p>Welcome!</p>"),
      "ok",
    ],
    ["to a casino", "https://pyfoo.org/", "https://best-slots.bet/", SPAM, "spam_takeover"],
    [
      "to an unrelated company",
      "https://pyfoo.org/",
      "https://acme.example.com/",
      COMPANY,
      "redirect_offsite",
    ],
    ["to a news site", "https://pyfoo.org/", "https://foodaily.com/", NEWS, "redirect_offsite"],
    [
      "to a domain marketplace",
      "https://pyfoo.org/",
      "https://sedo.com/search/details/?domain=pyfoo.org",
      fixture("parked-sedo.html"),
      "for_sale",
    ],
    [
      "between two GitHub Pages users",
      "https://pyfoo.github.io/",
      "https://someone-else.github.io/",
      COMPANY,
      "redirect_offsite",
    ],
  ])("%s", (_, url, finalUrl, body, reason) => {
    expect(judge({ url, finalUrl, body }).reason).toBe(reason);
  });

  it("uses the group's name when it is given", () => {
    const renamed = page("Home", "<p>Welcome to the Foo Pythonistas!</p>");
    const probe = { url: "https://pyfoo.org/", finalUrl: "https://foopy.net/", body: renamed };
    expect(judge(probe).reason).toBe("redirect_offsite");
    expect(judge(probe, { groupName: "Foo Pythonistas" }).reason).toBe("ok");
  });

  it("compares registrable domains", () => {
    expect(sameSite("http://pyfoo.org/", "https://WWW.pyfoo.org./x")).toBe(true);
    expect(sameSite("https://pyfoo.co.uk/", "https://other.co.uk/")).toBe(false);
    expect(sameSite("https://a.pyfoo.co.uk/", "https://b.pyfoo.co.uk/")).toBe(true);
  });
});

describe("reasons", () => {
  it("gives every code a status and a plain sentence", () => {
    for (const code of REASON_CODES) {
      expect(["alive", "dormant", "dead", "unknown"]).toContain(REASONS[code].status);
      expect(reasonText(code)).toMatch(/^[A-Z].*\.$/);
    }
    expect(reasonText("dns_nxdomain")).toBe("The domain no longer exists (DNS says no such name).");
    expect(reasonText("something_old")).toBe("No explanation recorded.");
  });

  it("never calls our own refusals or hiccups dead", () => {
    for (const code of [
      "forbidden_address",
      "bot_wall",
      "network_error",
      "timeout",
      "proxy_error",
      "bad_url",
    ] as const) {
      expect(REASONS[code].status).toBe("unknown");
    }
  });
});
