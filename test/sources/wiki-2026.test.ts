import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isChannelLabel } from "../../src/sources/channels.js";
import { normalizeUrl } from "../../src/sources/normalize-url.js";
import { detectListingFormat, readListing } from "../../src/sources/read-listing.js";
import type { ListedGroup, ListingReading } from "../../src/sources/types.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const MD = fixture("wiki-2026/LocalUserGroups.md");
const HTML = fixture("wiki-2026/LocalUserGroups.html");
const read = (body: string): ListingReading => {
  const r = readListing({ body });
  if (!r) throw new Error("not a listing");
  return r;
};
const md = read(MD);
const html = read(HTML);
const byName = (groups: ListedGroup[], name: string) => {
  const g = groups.find((x) => x.name === name);
  if (!g) throw new Error(`no group named ${name}`);
  return g;
};
/** Sphinx's smart quotes and an absolute link's trailing slash are not differences between the readers. */
const key = (g: ListedGroup) =>
  `${g.name.replace(/[’‘]/g, "'").replace(/[“”]/g, '"')} ${normalizeUrl(g.url)}`;

/** The same content as the shibuya theme wraps it (the live site), instead of Sphinx's default theme. */
function inOtherTheme(page: string): string {
  const start = page.indexOf('<section id="local-user-groups">');
  const end = page.lastIndexOf("</section>") + "</section>".length;
  return `<!doctype html><html><head><title>Local User Groups</title></head><body>
<header class="sy-head"><nav class="sy-head-nav"><ul><li><a href="/">Home</a></li><li><a href="https://www.python.org/">Python</a></li></ul></nav></header>
<div class="sy-page sy-container"><aside class="sy-lside"><ul class="toctree"><li><a href="#africa">Africa</a><ul><li><a href="https://evil.example/">Not a group</a></li></ul></li></ul></aside>
<main class="sy-main"><div class="sy-breadcrumbs"><ol><li><a href="/python/">Python</a></li></ol></div>
<article class="yue" role="main">${page.slice(start, end)}</article></main>
<aside class="sy-rside"><ul><li><a href="https://github.com/psf/wiki">Edit on GitHub</a></li></ul></aside></div>
<footer class="sy-foot"><ul><li><a href="https://www.python.org/psf/">PSF</a></li></ul></footer></body></html>`;
}

describe("the 2026 LocalUserGroups page", () => {
  it("tells the formats apart from the content alone", () => {
    expect(detectListingFormat(MD)).toBe("myst");
    expect(detectListingFormat(HTML)).toBe("sphinx-html");
    expect(detectListingFormat(fixture("wiki/LocalUserGroups.html"))).toBe("moin-html");
    expect(detectListingFormat(fixture("wiki/LocalUserGroups.raw.txt"))).toBe("moin-markup");
    expect(detectListingFormat("just some words\nand more")).toBeNull();
  });

  it("counts the groups a person counts, within 5%", () => {
    const expected: string[] = JSON.parse(fixture("wiki-2026/expected-groups.json")).groups;
    const found = new Set(md.groups.map((g) => g.name));
    const missing = expected.filter((n) => !found.has(n));
    const extra = md.groups.map((g) => g.name).filter((n) => !expected.includes(n));
    expect(Math.abs(md.groups.length - expected.length) / expected.length).toBeLessThanOrEqual(0.05);
    expect(missing.length + extra.length).toBeLessThanOrEqual(Math.ceil(expected.length * 0.05));
  });

  it("never makes a group of a bare channel link", () => {
    for (const g of [...md.groups, ...html.groups]) {
      expect(isChannelLabel(g.name), g.name).toBe(false);
      expect(g.name).not.toMatch(/^(mailing list|twitter|slack|github|facebook|website)$/i);
    }
    const primaries = new Set(md.groups.map((g) => normalizeUrl(g.url)));
    const channelUrls = md.groups.flatMap((g) => (g.channels ?? []).map((c) => normalizeUrl(c.url)));
    expect(channelUrls.filter((u) => primaries.has(u))).toEqual([]);
  });

  it("reads the same groups from the HTML and the Markdown, but for groups whose only link is a wiki page", () => {
    const fromHtml = new Set(html.groups.map(key));
    const onlyInMarkdown = md.groups.filter((g) => !fromHtml.has(key(g))).map((g) => g.name);
    // Sphinx renders a link to a wiki page it cannot resolve as plain text; the Markdown keeps the link.
    expect(onlyInMarkdown.sort()).toEqual(
      [
        "AbqPython",
        "FrontRangePythoneers",
        "JamaicanPy",
        "London Financial Python User Group",
        "MelbournePUG",
        "Portland",
        "PyKhmer",
        "WinniPUG - Winnipeg Python Users Group",
      ].sort(),
    );
    const fromMd = new Set(md.groups.map(key));
    expect(html.groups.filter((g) => !fromMd.has(key(g))).map((g) => g.name)).toEqual([]);
  });

  it("ignores the theme around the content", () => {
    const other = read(inOtherTheme(HTML));
    expect(other.format).toBe("sphinx-html");
    expect(other.groups.map(key)).toEqual(html.groups.map(key));
  });

  it("keeps no heading link mark in names or places", () => {
    for (const g of html.groups) {
      for (const v of [g.name, g.country, g.region, g.city, g.continent]) expect(v ?? "").not.toContain("¶");
    }
    expect(byName(html.groups, "PySilesia").country).toBe("Poland");
  });

  it("keeps a group's nested links as its channels, with their kinds", () => {
    const nigeria = byName(md.groups, "PyUNG");
    expect(nigeria.url).toBe("http://pythonnigeria.org/");
    expect(nigeria.channels?.map((c) => c.kind)).toEqual(["mailing list", "slack", "github"]);
    const tehran = byName(md.groups, "Tehran Python User Group (TehPUG)");
    expect(tehran.url).toBe("http://tehpug.ir/");
    expect(tehran.channels?.map((c) => c.kind)).toContain("twitter");
    expect(md.groups.some((g) => g.name === "Trello Board")).toBe(false);
  });

  it("takes a link-less group's site from its channels: own website first", () => {
    expect(byName(md.groups, "Python Ghana").url).toBe("http://python.org.gh/");
    expect(byName(md.groups, "Python Ghana").description).toBe("Ghana");
    // Only a Forum and a PyCon link: the forum stands in, the conference site does not.
    expect(byName(md.groups, "The Python Software Community Zimbabwe").url).toContain("groups.google.com");
  });

  it("reads a link to a general wiki page as a mention, not the group's site", () => {
    const ladies = byName(md.groups, "PyLadies Ghana");
    expect(ladies.url).toBe("http://ghana.pyladies.com/");
    expect(byName(md.groups, "DesertPy").url).toBe("http://desertpy.com/");
  });

  it("makes one group of a section that is one community's channel links, named as a person would", () => {
    const togo = md.groups.filter((g) => g.country === "Togo");
    expect(togo.map((g) => [g.name, g.url])).toEqual([["Python Togo", "https://pytogo.org/"]]);
    expect(togo[0]?.channels?.length).toBe(6);
    expect(md.groups.filter((g) => g.country === "Indonesia").map((g) => g.name)).toEqual([
      "Python User Group in Indonesia",
    ]);
    expect(byName(md.groups, "Python Maputo").city).toBe("Maputo");
  });

  it("keeps city branches under an umbrella group and groups under header items as groups", () => {
    const utah = md.groups.filter((g) => g.region === "Utah").map((g) => g.name);
    expect(utah).toEqual([
      "Utah Python Meta Group",
      "Salt Lake City",
      "Draper, Sandy",
      "Logan/Northern Utah",
      "Provo",
    ]);
    const romania = md.groups.filter((g) => g.country === "Romania").map((g) => g.name);
    expect(romania).toEqual(["RoPython", "RoPython-Timisoara", "RoPython-Cluj", "RoPython-Iasi"]);
    expect(md.groups.filter((g) => g.country === "Brazil").length).toBe(14);
  });

  it("skips what is not a group and says why", () => {
    const reasons = (text: RegExp) => md.skipped.filter((s) => text.test(s.text)).map((s) => s.reason);
    expect(reasons(/^IRC: http:\/\/webchat.freenode.net\/\?channels=python-apac/)[0]).toMatch(/whole region/);
    expect(reasons(/^PyCon Italia/)).toEqual(["a conference, not a group"]);
    expect(reasons(/^Python\.it/)).toEqual(["a resource site, not a group"]);
    expect(reasons(/^The list below/)).toEqual(["introduction, before the first region"]);
    expect(reasons(/^wiki\.python\.de/)[0]).toMatch(/General Community Resources/);
    expect(reasons(/^Belgium mailing list/)).toEqual(["a mailing list, not a group"]);
  });

  it("keeps each Markdown group's source lines", () => {
    expect(byName(md.groups, "Pykonik").lines?.[0]).toBe(660);
    const nigeria = byName(md.groups, "PyUNG").lines;
    expect(nigeria?.[1]).toBeGreaterThan(nigeria?.[0] ?? 0);
    expect(MD.split("\n")[(byName(md.groups, "PySilesia").lines?.[0] ?? 0) - 1]).toContain("PySilesia");
  });

  it("gathers the prose's place phrases", () => {
    expect(byName(md.groups, "Pykonik").placeHints).toContain("Cracow");
    expect(byName(md.groups, "PySilesia").placeHints?.[0]).toBe("Silesia");
    expect(byName(md.groups, "Python User Group Cologne").placeHints).toContain("Cologne");
    expect(byName(md.groups, "FasoPy").placeHints).toContain("Ouagadougou");
    expect(byName(md.groups, "Durban Hyperion Python Team").city).toBe("Durban");
  });
});

describe("an 'Inactive groups' heading", () => {
  it("is a marker in the Markdown: its groups stay in their country, and it is never a place", () => {
    const page = `## Europe\n\n### Poland\n\n- [PyWaw](http://pywaw.org/) - Python community in Warsaw\n\n#### Inactive groups\n\n- [PyOld](http://pyold.example/) - Python community in Gdańsk\n\n### Spain\n\n- [PyVLC](http://pyvlc.example/) - Valencia\n`;
    const groups = read(page).groups;
    expect(groups.map((g) => [g.name, g.country, g.region, g.city])).toEqual([
      ["PyWaw", "Poland", null, null],
      ["PyOld", "Poland", null, null],
      ["PyVLC", "Spain", null, "Valencia"],
    ]);
    expect(groups[1]?.placeHints).toContain("Gdańsk");
  });

  it("is a marker in MoinMoin markup too", () => {
    const page = `#language en\n= Local User Groups =\n== Europe ==\n=== Germany ===\n * Berlin: [[http://pub.example/|PUB]]\n==== Inactive groups ====\n * Bonn: [[http://pybonn.example/|PyBonn]]\n * [[http://pygone.example/|PyGone]] - gone\n`;
    const groups = read(page).groups;
    expect(groups.map((g) => [g.name, g.country, g.region, g.city])).toEqual([
      ["PUB", "Germany", null, "Berlin"],
      ["PyBonn", "Germany", null, "Bonn"],
      ["PyGone", "Germany", null, null],
    ]);
  });
});
