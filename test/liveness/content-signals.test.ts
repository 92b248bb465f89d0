import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  detectBotWall,
  detectMeetupGone,
  detectParked,
  detectSoft404,
  detectSpam,
  fold,
  groupLikeness,
  isMeetupGroupPage,
  meetupGroupSlug,
  readPage,
} from "../../src/liveness/content-signals.js";
import { html } from "../helpers/probe-result.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/pages/${name}`, import.meta.url), "utf8");
const page = (opts: Parameters<typeof html>[0]) => readPage(html(opts));

const GROUP_PAGE = page({
  title: "PyZürich — Python User Group Zürich",
  body: `<h1>Python User Group Zürich</h1>
  <p>We are a community of Python developers in Zürich. We meet every month for talks and a drink.</p>
  <h2>Next meetup</h2><p>Lightning talks: a poker bot in Python, packaging with uv, and pandas tricks.</p>
  <p>Speaker slots are open — send us your talk! Related links: python.org, PyPI.</p>`,
});

describe("readPage", () => {
  it("keeps the title, headings and visible text, not scripts or styles", () => {
    const p = page({
      title: " Hello  World ",
      head: '<meta name="description" content="About us"><script src="/a.js"></script>',
      body: "<h1>Head</h1><script>var hidden = 1;</script><style>.x{}</style><p>Visible text</p>",
    });
    expect(p.title).toBe("Hello World");
    expect(p.headings).toEqual(["Head"]);
    expect(p.text).toBe("Head Visible text");
    expect(p.meta).toBe("About us");
    expect(p.scriptSrcs).toEqual(["/a.js"]);
    expect(p.inlineScripts).toContain("var hidden");
  });

  it("folds accents, case and curly quotes", () => {
    expect(fold("Ce domaine est À VENDRE — doesn’t")).toBe("ce domaine est a vendre — doesn't");
  });
});

describe("detectParked", () => {
  it("recognises the Sedo fixture as for sale", () => {
    const signal = detectParked(readPage(fixture("parked-sedo.html")));
    expect(signal?.kind).toBe("for_sale");
    expect(signal?.matches).toEqual(
      expect.arrayContaining(["for sale", "buy this domain", "sedoparking script"]),
    );
  });

  it("recognises the Namecheap fixture as parked", () => {
    const signal = detectParked(readPage(fixture("parked-namecheap.html")));
    expect(signal?.kind).toBe("parked");
    expect(signal?.matches).toEqual(
      expect.arrayContaining(["this domain is registered at", "domain is parked"]),
    );
  });

  it.each([
    ["German", "pyfoo.de", "<h1>pyfoo.de</h1><p>Diese Domain steht zum Verkauf! Jetzt Angebot abgeben.</p>"],
    ["French", "pyfoo.fr", "<h1>pyfoo.fr</h1><p>Ce domaine est à vendre. Contactez-nous.</p>"],
    ["Spanish", "pyfoo.es", "<h1>pyfoo.es</h1><p>¡Este dominio está a la venta! Haga una oferta.</p>"],
    ["Dutch", "pyfoo.nl", "<h1>pyfoo.nl</h1><p>Dit domein is te koop.</p>"],
  ])("recognises a %s for-sale page", (_, title, body) => {
    expect(detectParked(page({ title, body }))?.kind).toBe("for_sale");
  });

  it("recognises a GoDaddy-style parked page by its words and its lander script", () => {
    const byWords = page({
      title: "pyfoo.org",
      body: "<p>This Web page is parked FREE, courtesy of GoDaddy.</p><h2>Related Searches</h2>",
    });
    expect(detectParked(byWords)?.kind).toBe("parked");
    const byScript = page({
      title: "pyfoo.org",
      head: '<script src="https://img1.wsimg.com/parking-lander/static/js/main.7b2c.js"></script>',
      body: '<div id="root"></div>',
    });
    expect(detectParked(byScript)?.matches).toContain("parking-lander");
  });

  it("recognises an ad-feed page from weaker words together on a short page", () => {
    const p = page({
      title: "pyfoo.org",
      body: "<h2>Related Searches</h2><ul><li>Python Course</li></ul><p>Sponsored Listings</p>",
    });
    expect(detectParked(p)?.kind).toBe("parked");
  });

  it("recognises hosting placeholders in the title", () => {
    expect(detectParked(page({ title: "Account Suspended", body: "<p>Contact your host.</p>" }))?.kind).toBe(
      "parked",
    );
    expect(
      detectParked(page({ title: "Welcome to nginx!", body: "<h1>Welcome to nginx!</h1>" })),
    ).not.toBeNull();
  });

  it("leaves a genuine group page alone, even one that says 'related links' and names a registrar", () => {
    expect(detectParked(GROUP_PAGE)).toBeNull();
    const dnsTalk = page({
      title: "PyFoo",
      body: "<p>Talk: moving our DNS from GoDaddy to Namecheap. Related links below. And it works!</p>",
    });
    expect(detectParked(dnsTalk)).toBeNull();
  });
});

describe("detectSpam", () => {
  it("flags a gambling takeover by its title", () => {
    const p = page({
      title: "SLOT GACOR Hari Ini — Situs Judi Online Terpercaya",
      body: "<p>Daftar sekarang</p>",
    });
    expect(detectSpam(p)?.inTitle).toEqual(expect.arrayContaining(["slot gacor", "judi online"]));
  });

  it("flags a page dense with spam words even when the title is bland", () => {
    const p = page({
      title: "pyfoo.org",
      body: "<p>Best online casino bonus. Casino games, roulette, jackpot, poker online. Cheap viagra.</p><p>Casino reviews.</p>",
    });
    expect(detectSpam(p)?.matches).toEqual(expect.arrayContaining(["casino", "viagra", "roulette"]));
  });

  it("flags a pharmacy takeover", () => {
    const p = page({
      title: "Buy Cialis Online — Canadian Pharmacy",
      body: "<p>Viagra, cialis, no prescription.</p>",
    });
    expect(detectSpam(p)).not.toBeNull();
  });

  it("does not flag a Python group that mentions poker once, or speaker slots", () => {
    expect(detectSpam(GROUP_PAGE)).toBeNull();
  });

  it("does not flag a group page even with a talk about betting odds", () => {
    const p = page({
      title: "PyData Meetup: sports betting models with Python",
      body: "<p>Our meetup this month: betting odds, a casino simulation and poker with Python.</p>",
    });
    expect(detectSpam(p)).toBeNull();
  });
});

describe("detectSoft404", () => {
  it("recognises the soft-404 fixture", () => {
    const signal = detectSoft404(readPage(fixture("soft-404.html")));
    expect(signal?.matches).toEqual(expect.arrayContaining(["404", "not found", "doesn't exist"]));
  });

  it.each([
    ["Seite nicht gefunden", "Seite nicht gefunden"],
    ["Page introuvable", "Erreur"],
    ["Página no encontrada", "Lo sentimos"],
    ["PyFoo", "Nothing here? Page not found"],
  ])("recognises title %j / heading %j", (title, h1) => {
    expect(
      detectSoft404(page({ title, body: `<h1>${h1}</h1><p>Zurück zur Startseite.</p>` })),
    ).not.toBeNull();
  });

  it("ignores a long page that merely mentions not found in a heading", () => {
    const long = "<p>Python is great. </p>".repeat(200);
    expect(
      detectSoft404(page({ title: "PyFoo", body: `<h1>Not found a venue yet?</h1>${long}` })),
    ).toBeNull();
  });

  it("trusts 'nothing here' only in the title", () => {
    expect(
      detectSoft404(page({ title: "PyFoo", body: "<h1>Nothing here yet</h1><p>Come back soon</p>" })),
    ).toBeNull();
    expect(detectSoft404(page({ title: "Nothing here", body: "<p>Come back soon</p>" }))).not.toBeNull();
  });

  it("leaves the group page alone", () => {
    expect(detectSoft404(GROUP_PAGE)).toBeNull();
  });
});

describe("detectBotWall", () => {
  it("recognises a Cloudflare challenge", () => {
    const p = page({
      title: "Just a moment...",
      head: '<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script>',
      body: "<p>Enable JavaScript and cookies to continue</p>",
    });
    expect(detectBotWall(p)?.matches).toEqual(
      expect.arrayContaining(["Just a moment…", "Cloudflare challenge", "enable JS and cookies"]),
    );
  });

  it.each([
    ["Attention Required! | Cloudflare", ""],
    ["Access denied", "<p>You don't have permission to access / on this server.</p>"],
    ["DDoS-Guard", "<p>Checking your browser before accessing</p>"],
    ["", "<p>Request unsuccessful. Incapsula incident ID: 1234</p>"],
  ])("recognises %j", (title, body) => {
    expect(detectBotWall(page({ title, body }))).not.toBeNull();
  });

  it("recognises challenge headers", () => {
    expect(detectBotWall(page({ title: "x" }), { "CF-Mitigated": "challenge" })?.matches).toContain(
      "cf-mitigated header",
    );
  });

  it("does not treat a group page with a reCAPTCHA contact form as a wall", () => {
    const p = readPage(
      html({
        title: GROUP_PAGE.title,
        head: '<script src="https://www.google.com/recaptcha/api.js"></script>',
        body: `<p>${GROUP_PAGE.text}</p>`,
      }),
    );
    expect(detectBotWall(p)).toBeNull();
  });
});

describe("meetup.com", () => {
  it("finds the group slug, with or without a locale prefix", () => {
    expect(meetupGroupSlug("https://www.meetup.com/python-users-group-zurich/")).toBe(
      "python-users-group-zurich",
    );
    expect(meetupGroupSlug("https://meetup.com/de-DE/pyberlin/events/")).toBe("pyberlin");
    expect(meetupGroupSlug("https://www.meetup.com/find/?keywords=python")).toBeNull();
    expect(meetupGroupSlug("https://www.meetup.com/")).toBeNull();
    expect(meetupGroupSlug("https://pyberlin.org/")).toBeNull();
  });

  it("recognises a gone group by where it lands", () => {
    const group = "https://www.meetup.com/old-python-group/";
    expect(detectMeetupGone(null, group, "https://www.meetup.com/?_cookie-check=abc")?.matches).toEqual([
      "redirected to /?_cookie-check",
    ]);
    expect(detectMeetupGone(null, group, "https://www.meetup.com/find/?gone=1")).not.toBeNull();
    expect(detectMeetupGone(null, group, "https://www.meetup.com/en-US/find/")).not.toBeNull();
    expect(detectMeetupGone(null, group, "https://www.meetup.com/new-python-group/")).toBeNull();
    expect(detectMeetupGone(null, group, "https://www.meetup.com/login/?returnUri=x")).toBeNull();
  });

  it("recognises a gone group by what the page says", () => {
    const gone = page({ title: "Meetup", body: "<h1>This group is no longer active</h1>" });
    expect(
      detectMeetupGone(gone, "https://www.meetup.com/pyfoo/", "https://www.meetup.com/pyfoo/"),
    ).not.toBeNull();
  });

  it("recognises a genuine group page", () => {
    const p = readPage(fixture("meetup-group.html"));
    expect(isMeetupGroupPage(p, "https://www.meetup.com/python-users-group-zurich/")).toBe(true);
    expect(isMeetupGroupPage(p, "https://www.meetup.com/find/")).toBe(false);
  });
});

describe("groupLikeness", () => {
  it("recognises a page that names the group or its old domain", () => {
    const p = page({ title: "PyKassel", body: "<p>Welcome to our new home.</p>" });
    expect(groupLikeness(p, { groupUrl: "https://pykassel.de/" }).groupLike).toBe(true);
    const named = page({ title: "Home", body: "<p>Kassel Pythonistas meet here.</p>" });
    expect(
      groupLikeness(named, { groupName: "Kassel Pythonistas", groupUrl: "https://x.de/" }).groupLike,
    ).toBe(true);
  });

  it("recognises a Python user group page", () => {
    expect(groupLikeness(GROUP_PAGE, {}).groupLike).toBe(true);
  });

  it("does not take a company or news page for the group", () => {
    const company = page({
      title: "Acme Consulting — Cloud solutions for enterprises",
      body: "<h1>We build software</h1><p>Talk to our experts about Java, Python and Go.</p>",
    });
    expect(groupLikeness(company, { groupUrl: "https://pyfoo.org/" }).groupLike).toBe(false);
  });
});
