import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ListedGroup } from "../../src/sources/types.js";
import { parseWikiHtml } from "../../src/sources/wiki-html.js";
import { looksLikePlace } from "../../src/sources/wiki-outline.js";
import { parseWikiRaw } from "../../src/sources/wiki-raw.js";

const PAGE_URL = "https://wiki.python.org/moin/LocalUserGroups";
const RAW_URL = `${PAGE_URL}?action=raw`;
const fixture = (name: string) => readFileSync(new URL(`../fixtures/wiki/${name}`, import.meta.url), "utf8");
const place = ({ name, url, continent, country, region, city }: ListedGroup) => ({
  name,
  url,
  continent,
  country,
  region,
  city,
});
/** Wraps list lines in a continent and a country so only the item is under test. */
const inSpain = (...lines: string[]) => `== Europe ==\n=== Spain ===\n${lines.join("\n")}\n`;
const one = (...lines: string[]) => {
  const groups = parseWikiRaw(inSpain(...lines), RAW_URL);
  expect(groups).toHaveLength(1);
  return groups[0] as ListedGroup;
};

describe("parseWikiRaw on the LocalUserGroups fixture", () => {
  const raw = parseWikiRaw(fixture("LocalUserGroups.raw.txt"), RAW_URL);

  it("finds exactly the expected groups, in page order", () => {
    expect(raw.map(place)).toEqual(JSON.parse(fixture("expected-groups.json")));
  });

  it("agrees with the HTML rendering field for field, descriptions included", () => {
    const html = parseWikiHtml(fixture("LocalUserGroups.html"), PAGE_URL);
    expect(raw).toEqual(html);
    expect(raw.filter((g) => g.description !== null).length).toBeGreaterThan(3);
  });

  it("skips the Related pages section, where a CamelCase word is a wiki link", () => {
    expect(raw.map((g) => g.url)).not.toContain("https://wiki.python.org/moin/PythonConferences");
    expect(raw.map((g) => g.url)).not.toContain("https://wiki.python.org/moin/CategoryPythonWebsite");
  });
});

describe("parseWikiRaw markup", () => {
  it("reads [[url|Text]], [[url]], [[WikiPage|Text]] and [[WikiPage]]", () => {
    const groups = parseWikiRaw(
      inSpain(
        " * Madrid: [[https://pymad.example/|Python Madrid]]",
        " * Sevilla: [[https://pysevilla.example/]]",
        " * Bilbao: [[BilbaoPython|Python Bilbao]]",
        " * Cádiz: [[Cadiz Python Group]]",
      ),
      RAW_URL,
    );
    expect(groups.map((g) => [g.name, g.url, g.city])).toEqual([
      ["Python Madrid", "https://pymad.example/", "Madrid"],
      ["https://pysevilla.example/", "https://pysevilla.example/", "Sevilla"],
      ["Python Bilbao", "https://wiki.python.org/moin/BilbaoPython", "Bilbao"],
      ["Cadiz Python Group", "https://wiki.python.org/moin/Cadiz%20Python%20Group", "Cádiz"],
    ]);
  });

  it("links bare URLs without their trailing punctuation", () => {
    expect(one(" * Zaragoza: https://pyzgz.example/meetups, monthly.")).toMatchObject({
      url: "https://pyzgz.example/meetups",
      city: "Zaragoza",
      description: "monthly.",
    });
  });

  it("links CamelCase words as moin does, except escaped ones or inside other words", () => {
    expect(one(" * Granada: PyGranada - tapas and talks")).toMatchObject({
      name: "PyGranada",
      url: "https://wiki.python.org/moin/PyGranada",
      city: "Granada",
      description: "tapas and talks",
    });
    expect(parseWikiRaw(inSpain(" * Murcia: !PyMurcia has no page", " * Vigo: xPyVigo"), RAW_URL)).toEqual(
      [],
    );
  });

  it("strips bold, italic and other inline markup, and ignores macros", () => {
    expect(
      one(" * '''Valencia''': [[https://pyvlc.example/|PyVLC]] ''new'' <<BR>> __since__ 2019"),
    ).toMatchObject({
      name: "PyVLC",
      city: "Valencia",
      description: "new since 2019",
    });
  });

  it("ignores processing instructions, comments, the TOC macro and preformatted blocks", () => {
    const markup = [
      "#format wiki",
      "#pragma section-numbers off",
      "<<TableOfContents(3)>>",
      "== Europe ==",
      "=== Spain ===",
      "## * Hidden: [[https://hidden.example/|Hidden]]",
      "{{{",
      " * Code: [[https://code.example/|Code]]",
      "}}}",
      " * Toledo: [[https://pytoledo.example/|PyToledo]]",
    ].join("\n");
    expect(parseWikiRaw(markup, RAW_URL).map((g) => g.name)).toEqual(["PyToledo"]);
  });

  it("does not take interwiki, attachment, mailto, anchor or self links as groups", () => {
    const groups = parseWikiRaw(
      inSpain(
        " * León: [[#Spain|up]] [[LocalUserGroups|here]] [[mailto:a@b.example|mail]] [[attachment:flyer.pdf|flyer]] [[Wikipedia:León|León]] a@b.example",
        " * [[Wikipedia:Burgos|Burgos]]: [[https://pyburgos.example/|PyBurgos]]",
      ),
      RAW_URL,
    );
    expect(groups.map((g) => [g.name, g.url, g.city])).toEqual([
      ["PyBurgos", "https://pyburgos.example/", "Burgos"],
    ]);
  });

  it("resolves subpages against the listing page", () => {
    expect(one(" * Ávila: [[/Avila|Python Ávila]]").url).toBe(
      "https://wiki.python.org/moin/LocalUserGroups/Avila",
    );
  });

  it("decodes entities outside links", () => {
    expect(one(" * Vitoria &amp; Gasteiz: [[https://pyvg.example/|PyVG]]").city).toBe("Vitoria & Gasteiz");
  });

  it("gives nested items the city of a link-less parent item", () => {
    const groups = parseWikiRaw(
      inSpain(
        " * Valencia:",
        "  * [[https://pyvlc.example/|PyVLC]]",
        "",
        "  * [[https://pydatavlc.example/|PyData Valencia]]",
        " * [[https://pyes.example/|Python España]]",
      ),
      RAW_URL,
    );
    expect(groups.map((g) => [g.name, g.city])).toEqual([
      ["PyVLC", "Valencia"],
      ["PyData Valencia", "Valencia"],
      ["Python España", null],
    ]);
  });

  it("reads numbered and bullet-less list items too", () => {
    const groups = parseWikiRaw(
      inSpain(
        " 1. Lugo: [[https://pylugo.example/|PyLugo]]",
        " . Soria: [[https://pysoria.example/|PySoria]]",
      ),
      RAW_URL,
    );
    expect(groups.map((g) => [g.name, g.city])).toEqual([
      ["PyLugo", "Lugo"],
      ["PySoria", "Soria"],
    ]);
  });
});

describe("parseWikiRaw and parseWikiHtml agree on other layouts", () => {
  const markup = `= Local User Groups =
Intro with [[https://intro.example/|a link]].
 * Stray: [[https://stray.example/|Before any continent]]

== Europe ==
=== Germany ===
==== Berlin ====
 * [[https://pub.example/|Python Users Berlin]] - monthly
==== Bavaria ====
 * München: [[https://pymunich.example/|PyMunich]]
=== Spain ===
 * [[https://pybcn.example/|Python Barcelona]] (Barcelona)
 * Granada: PyGranada
 * Valencia:
  * [[https://pyvlc.example/|PyVLC]]
  * [[https://pydatavlc.example/|PyData Valencia]]
 * [[https://pyes.example/|Python España]] -
 nationwide, since 2015
 Málaga:: [[https://pymlg.example/|PyMálaga]] - by the sea
== North America ==
=== United States ===
 * Portland, ME: [[http://mainepython.example/|Maine Python]]
== See also ==
 * [[https://seealso.example/|Elsewhere]]
`;
  const html = `<html><body><div id="content">
<h1 id="Local_User_Groups">Local User Groups</h1>
<p class="line874">Intro with <a class="https" href="https://intro.example/">a link</a>.</p>
<ul><li><p class="line862">Stray: <a class="https" href="https://stray.example/">Before any continent</a></li></ul>
<p class="line867"><h2 id="Europe">Europe</h2>
<p class="line867"><h3 id="Germany">Germany</h3>
<p class="line867"><h4 id="Berlin">Berlin</h4>
<ul><li><p class="line862"><a class="https" href="https://pub.example/">Python Users Berlin</a> - monthly </li></ul>
<p class="line867"><h4 id="Bavaria">Bavaria</h4>
<ul><li><p class="line862">München: <a class="https" href="https://pymunich.example/">PyMunich</a> </li></ul>
<p class="line867"><h3 id="Spain">Spain</h3>
<ul><li><p class="line862"><a class="https" href="https://pybcn.example/">Python Barcelona</a> (Barcelona) </li>
<li><p class="line862">Granada: <a class="nonexistent" href="/moin/PyGranada">PyGranada</a> </li>
<li><p class="line862">Valencia: <ul>
<li><p class="line862"><a class="https" href="https://pyvlc.example/">PyVLC</a> </li>
<li><p class="line862"><a class="https" href="https://pydatavlc.example/">PyData Valencia</a> </li></ul></li>
<li><p class="line862"><a class="https" href="https://pyes.example/">Python España</a> -
nationwide, since 2015 </li></ul>
<dl><dt>Málaga</dt><dd><p class="line862"><a class="https" href="https://pymlg.example/">PyMálaga</a> - by the sea </dd></dl>
<p class="line867"><h2 id="North_America">North America</h2>
<p class="line867"><h3 id="United_States">United States</h3>
<ul><li><p class="line862">Portland, ME: <a class="http" href="http://mainepython.example/">Maine Python</a> </li></ul>
<p class="line867"><h2 id="See_also">See also</h2>
<ul><li><p class="line862"><a class="https" href="https://seealso.example/">Elsewhere</a> </li></ul>
</div></body></html>`;

  it("gives the same groups from both", () => {
    const fromRaw = parseWikiRaw(markup, RAW_URL);
    expect(fromRaw).toEqual(parseWikiHtml(html, PAGE_URL));
    expect(fromRaw.find((g) => g.name === "Python España")?.description).toBe("nationwide, since 2015");
    expect(fromRaw.find((g) => g.name === "PyMálaga")?.description).toBe("by the sea");
    expect(fromRaw.map((g) => [g.name, g.country, g.region, g.city])).toEqual([
      ["Python Users Berlin", "Germany", null, "Berlin"],
      ["PyMunich", "Germany", "Bavaria", "München"],
      ["Python Barcelona", "Spain", null, "Barcelona"],
      ["PyGranada", "Spain", null, "Granada"],
      ["PyVLC", "Spain", null, "Valencia"],
      ["PyData Valencia", "Spain", null, "Valencia"],
      ["Python España", "Spain", null, null],
      ["PyMálaga", "Spain", null, "Málaga"],
      ["Maine Python", "United States", "ME", "Portland"],
    ]);
  });
});

describe("looksLikePlace", () => {
  it.each(["Atlanta", "São José dos Campos", "St. Louis", "New York", "Stratford upon Avon", "Pyongyang"])(
    "accepts %s",
    (s) => expect(looksLikePlace(s)).toBe(true),
  );
  it.each([
    "nationwide",
    "Python Meetup",
    "PyData Berlin",
    "Kyoto.py",
    "Every Tuesday at 7",
    "",
    "Monthly Talks",
  ])("rejects %s", (s) => expect(looksLikePlace(s)).toBe(false));
});
