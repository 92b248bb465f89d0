import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ListedGroup } from "../../src/sources/types.js";
import { parseWikiHtml } from "../../src/sources/wiki-html.js";

const PAGE_URL = "https://wiki.python.org/moin/LocalUserGroups";
const fixture = (name: string) => readFileSync(new URL(`../fixtures/wiki/${name}`, import.meta.url), "utf8");
const place = ({ name, url, continent, country, region, city }: ListedGroup) => ({
  name,
  url,
  continent,
  country,
  region,
  city,
});
const byName = (groups: ListedGroup[], name: string) => {
  const found = groups.find((g) => g.name === name);
  if (!found) throw new Error(`no group named ${name}`);
  return found;
};

/** A page in the shape MoinMoin 1.9 serves: chrome with links around `#content`. */
function moinPage(content: string): string {
  return `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN">
<html><head><title>LocalUserGroups - Python Wiki</title></head><body lang="en">
<div id="wrapper"><div id="header">
<div id="logo"><a href="/moin/FrontPage">Python Wiki</a></div>
<ul id="navibar"><li class="wikilink"><a href="/moin/FrontPage">FrontPage</a></li>
<li class="wikilink"><a href="https://www.python.org/">Python.org</a></li></ul></div>
<div id="page"><div id="content"><span class="anchor" id="top"></span>
<p class="line867"><h1 id="Local_User_Groups">Local User Groups</h1>
${content}
</div><p id="pageinfo" class="info">LocalUserGroups (last edited 2026-06-14)</p></div>
<div id="footer"><ul id="credits"><li><a href="http://moinmo.in/">MoinMoin Powered</a></li></ul></div>
</div></body></html>`;
}
const h = (level: number, text: string) =>
  `<span class="anchor" id="line-1"></span><p class="line867">\n<h${level} id="${text.replace(/ /g, "_")}">${text}</h${level}>\n`;
const ul = (...items: string[]) =>
  `<ul>\n${items.map((i) => `<li><p class="line862">${i} <span class="anchor" id="line-2"></span></li>`).join("\n")}\n</ul>\n`;
const ext = (href: string, text: string) => `<a class="${href.split(":")[0]}" href="${href}">${text}</a>`;

describe("parseWikiHtml on the LocalUserGroups fixture", () => {
  const groups = parseWikiHtml(fixture("LocalUserGroups.html"), PAGE_URL);

  it("finds exactly the expected groups, in page order", () => {
    expect(groups.map(place)).toEqual(JSON.parse(fixture("expected-groups.json")));
  });

  it("reads https links as well as http ones", () => {
    const schemes = new Set(groups.map((g) => new URL(g.url).protocol));
    expect(schemes).toEqual(new Set(["http:", "https:"]));
    expect(byName(groups, "PyLagos").url).toBe("https://www.meetup.com/pylagos/");
  });

  it("turns wiki pages, existing or not, into absolute wiki URLs", () => {
    expect(byName(groups, "Kassel Python").url).toBe("https://wiki.python.org/moin/KasselPython");
    expect(byName(groups, "Rostock Python")).toMatchObject({
      url: "https://wiki.python.org/moin/RostockPythonUserGroup",
      city: "Rostock",
      country: "Germany",
    });
  });

  it("takes the first link of an item as the group and keeps the rest as description", () => {
    expect(byName(groups, "AFPy Paris")).toMatchObject({
      url: "https://www.afpy.org/",
      description: "Association Francophone Python (forum)",
    });
    expect(groups.some((g) => g.url.includes("discuss.afpy.org") || g.name === "forum")).toBe(false);
  });

  it("reads the 'City - link' form", () => {
    expect(byName(groups, "CamPUG")).toMatchObject({ city: "Cambridge", country: "United Kingdom" });
    expect(byName(groups, "PDX Python")).toMatchObject({ city: "Portland", region: "Oregon" });
  });

  it("splits 'City, ST' and keeps the state heading as the region", () => {
    expect(place(byName(groups, "Maine Python"))).toMatchObject({ city: "Portland", region: "Maine" });
    expect(place(byName(groups, "Paris TX Python"))).toMatchObject({ city: "Paris", region: "Texas" });
  });

  it("leaves the city empty for country-wide groups and keeps their description", () => {
    expect(byName(groups, "Python Uganda")).toMatchObject({ city: null, description: "nationwide" });
    expect(byName(groups, "Python Perú")).toMatchObject({ city: null, description: null });
  });

  it("decodes entities and keeps non-ASCII names and cities", () => {
    expect(byName(groups, "Python Leeds & Bradford").city).toBe("Leeds");
    expect(byName(groups, "Grupy-SJC").city).toBe("São José dos Campos");
    expect(byName(groups, "Python Tromsø").city).toBe("Tromsø");
  });

  it("ignores links in the intro, navigation, table of contents, footer and Related pages", () => {
    const urls = groups.map((g) => g.url);
    for (const notAGroup of [
      "https://www.python.org/events/",
      "https://wiki.python.org/moin/FrontPage",
      "https://wiki.python.org/moin/RecentChanges",
      "http://moinmo.in/",
      "https://www.python.org/community/",
      "https://wiki.python.org/moin/PythonConferences",
    ]) {
      expect(urls).not.toContain(notAGroup);
    }
    expect(urls.some((u) => u.includes("#"))).toBe(false);
    expect(groups.some((g) => g.continent === "Related pages")).toBe(false);
  });

  it("has a description only where the page gives one", () => {
    expect(groups.filter((g) => g.description).map((g) => [g.name, g.description])).toEqual([
      ["Cape Town Python Users Group", "monthly talks"],
      ["Python Uganda", "nationwide"],
      ["BangPypers", "Bangalore Python Users' Group"],
      ["AFPy Paris", "Association Francophone Python (forum)"],
      ["Pykonik", "Kraków Python User Group"],
    ]);
  });
});

describe("parseWikiHtml on a truncated download", () => {
  it("reads the groups before the cut and nothing after", () => {
    const groups = parseWikiHtml(fixture("LocalUserGroups.truncated.html"), PAGE_URL);
    const expected = JSON.parse(fixture("expected-groups.json")) as unknown[];
    expect(groups).toHaveLength(15);
    expect(groups.map(place)).toEqual(expected.slice(0, 15));
  });
});

describe("parseWikiHtml on other layouts", () => {
  it("reads an h4 under an undivided country as the city when its items name no city", () => {
    const page = moinPage(
      h(2, "Europe") +
        h(3, "Germany") +
        h(4, "Berlin") +
        ul(
          `${ext("https://pub.example/", "Python Users Berlin")} - monthly`,
          ext("https://pyladies.example/", "PyLadies Berlin"),
        ) +
        h(4, "Bavaria") +
        ul(`München: ${ext("https://pymunich.example/", "PyMunich")}`) +
        h(3, "Spain") +
        ul(ext("https://pyes.example/", "Python España")),
    );
    expect(parseWikiHtml(page, PAGE_URL).map(place)).toEqual([
      {
        name: "Python Users Berlin",
        url: "https://pub.example/",
        continent: "Europe",
        country: "Germany",
        region: null,
        city: "Berlin",
      },
      {
        name: "PyLadies Berlin",
        url: "https://pyladies.example/",
        continent: "Europe",
        country: "Germany",
        region: null,
        city: "Berlin",
      },
      {
        name: "PyMunich",
        url: "https://pymunich.example/",
        continent: "Europe",
        country: "Germany",
        region: "Bavaria",
        city: "München",
      },
      {
        name: "Python España",
        url: "https://pyes.example/",
        continent: "Europe",
        country: "Spain",
        region: null,
        city: null,
      },
    ]);
  });

  it("keeps an h4 under the United States a state even when items name no city", () => {
    const page = moinPage(
      h(2, "North America") +
        h(3, "United States") +
        h(4, "Texas") +
        ul(`${ext("https://pytexas.example/", "PyTexas")} - statewide`) +
        h(5, "Houston") +
        ul(ext("https://pyhou.example/", "PyHou")),
    );
    expect(parseWikiHtml(page, PAGE_URL).map((g) => [g.name, g.region, g.city])).toEqual([
      ["PyTexas", "Texas", null],
      ["PyHou", "Texas", "Houston"],
    ]);
  });

  it("resets the heading path when a higher heading comes", () => {
    const page = moinPage(
      h(2, "North America") +
        h(3, "Canada") +
        h(4, "Ontario") +
        ul(`Toronto: ${ext("https://pytoronto.example/", "PyToronto")}`) +
        h(3, "Mexico") +
        ul(`Monterrey: ${ext("https://pymty.example/", "PyMTY")}`) +
        h(2, "Africa") +
        ul(`Accra: ${ext("https://pyghana.example/", "Python Ghana")}`),
    );
    expect(parseWikiHtml(page, PAGE_URL).map((g) => [g.continent, g.country, g.region, g.city])).toEqual([
      ["North America", "Canada", "Ontario", "Toronto"],
      ["North America", "Mexico", null, "Monterrey"],
      ["Africa", null, null, "Accra"],
    ]);
  });

  it("reads 'link (City)', 'link - City ...' and 'City, ST' without a state heading", () => {
    const page = moinPage(
      h(2, "North America") +
        h(3, "United States") +
        ul(
          `${ext("https://pyhou.example/", "PyHou")} (Houston, TX)`,
          `${ext("https://pyatl.example/", "PyATL")} - Atlanta, GA Python Meetup`,
          `Portland, ME: ${ext("http://mainepython.example/", "Maine Python")}`,
          `${ext("https://pyus.example/", "PyUS")} - national association`,
          `${ext("https://pyfoo.example/", "PyFoo")} (${ext("https://forum.example/", "Forum")})`,
        ),
    );
    expect(parseWikiHtml(page, PAGE_URL).map((g) => [g.name, g.city, g.region, g.description])).toEqual([
      ["PyHou", "Houston", "TX", null],
      ["PyATL", "Atlanta", null, "Atlanta, GA Python Meetup"],
      ["Maine Python", "Portland", "ME", null],
      ["PyUS", null, null, "national association"],
      ["PyFoo", null, null, "(Forum)"],
    ]);
  });

  it("gives a city label item's nested groups that city", () => {
    const page = moinPage(
      `${h(2, "Europe") + h(3, "Spain")}<ul><li><p class="line862">Valencia: <ul>
<li><p class="line862">${ext("https://pyvlc.example/", "PyVLC")}</li>
<li><p class="line862">${ext("https://pyvlcdata.example/", "PyData Valencia")}</li></ul></li>
<li><p class="line862">${ext("https://pybcn.example/", "Python Barcelona")}</li></ul>`,
    );
    expect(parseWikiHtml(page, PAGE_URL).map((g) => [g.name, g.city])).toEqual([
      ["PyVLC", "Valencia"],
      ["PyData Valencia", "Valencia"],
      ["Python Barcelona", null],
    ]);
  });

  it("skips anchors, mailto, interwiki, attachments and links to the page itself", () => {
    const page = moinPage(
      h(2, "Europe") +
        h(3, "Italy") +
        ul(
          `Roma: <a href="#Italy">see above</a>`,
          `Milano: <a class="mailto" href="mailto:pymi@example.org">mail us</a>`,
          `Torino: <a class="interwiki" href="https://en.wikipedia.org/wiki/Turin" title="Wikipedia">Turin</a>`,
          `Napoli: <a class="attachment" href="/moin/LocalUserGroups?action=AttachFile&amp;do=get&amp;target=x.pdf">x.pdf</a>`,
          `Bari: <a href="/moin/LocalUserGroups#Italy">this page</a>`,
          `<a class="interwiki" href="https://en.wikipedia.org/wiki/Florence">Firenze</a>: ${ext("https://pyfi.example/", "PyFirenze")}`,
        ),
    );
    expect(parseWikiHtml(page, PAGE_URL).map((g) => [g.name, g.url, g.city])).toEqual([
      ["PyFirenze", "https://pyfi.example/", "Firenze"],
    ]);
  });

  it("takes the group after a colon when the city itself is a wiki link", () => {
    const page = moinPage(
      h(2, "North America") +
        h(3, "United States") +
        h(4, "Texas") +
        ul(
          `<a class="nonexistent" href="/moin/McAllen">McAllen</a>: ${ext("https://rgvpy.example/", "RGV Python")}`,
        ),
    );
    expect(parseWikiHtml(page, PAGE_URL).map((g) => [g.name, g.url, g.city, g.region])).toEqual([
      ["RGV Python", "https://rgvpy.example/", "McAllen", "Texas"],
    ]);
  });

  it("accepts absolute links without a class and resolves wiki links against the page's origin", () => {
    const page = moinPage(
      h(2, "Asia") +
        h(3, "Japan") +
        ul(
          `Tokyo: <a href="https://pytokyo.example/">PyTokyo</a>`,
          `Osaka: <a href="/moin/OsakaPython">Osaka Python</a>`,
        ),
    );
    const groups = parseWikiHtml(page, "http://127.0.0.1:8080/moin/LocalUserGroups");
    expect(groups.map((g) => g.url)).toEqual([
      "https://pytokyo.example/",
      "http://127.0.0.1:8080/moin/OsakaPython",
    ]);
  });

  it("merges a group listed twice, keeping the first place it appears", () => {
    const page = moinPage(
      h(2, "Europe") +
        h(3, "Poland") +
        ul(`Kraków: ${ext("https://www.meetup.com/pykonik/", "Pykonik")}`) +
        h(3, "Czechia") +
        ul(`Ostrava: ${ext("http://meetup.com/PyKonik", "Pykonik again")}`),
    );
    expect(parseWikiHtml(page, PAGE_URL).map((g) => [g.name, g.country])).toEqual([["Pykonik", "Poland"]]);
  });

  it("ignores everything before the first continent and in non-geographic sections", () => {
    const page = moinPage(
      ul(`Intro: ${ext("https://intro.example/", "Intro group")}`) +
        h(2, "Oceania") +
        h(3, "Fiji") +
        ul(`Suva: ${ext("https://pyfiji.example/", "PyFiji")}`) +
        h(3, "See also") +
        ul(ext("https://seealso.example/", "Elsewhere")) +
        h(2, "External links") +
        ul(ext("https://external.example/", "External")),
    );
    expect(parseWikiHtml(page, PAGE_URL).map((g) => g.name)).toEqual(["PyFiji"]);
  });

  it("falls back to the body when there is no #content, and returns nothing for an empty page", () => {
    const bare = `<html><body><h2>Asia</h2><h3>India</h3><ul><li>Pune: <a href="https://pypune.example/">PyPune</a></li></ul></body></html>`;
    expect(parseWikiHtml(bare, PAGE_URL).map((g) => [g.name, g.city])).toEqual([["PyPune", "Pune"]]);
    expect(parseWikiHtml("", PAGE_URL)).toEqual([]);
    expect(parseWikiHtml("<html><body><p>Maintenance</p></body></html>", PAGE_URL)).toEqual([]);
  });
});
