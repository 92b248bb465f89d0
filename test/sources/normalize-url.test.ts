import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { groupId, normalizeUrl, slugify } from "../../src/sources/normalize-url.js";

describe("normalizeUrl", () => {
  it.each([
    ["https://www.meetup.com/pykonik/", "//meetup.com/pykonik"],
    ["http://meetup.com/PyKonik", "//meetup.com/pykonik"],
    ["https://WWW.MEETUP.COM/PyKonik/?utm_source=wiki&utm_medium=link#about", "//meetup.com/pykonik"],
    ["https://www.meetup.com/de-DE/PyKonik/", "//meetup.com/pykonik"],
    ["https://www.afpy.org", "//afpy.org"],
    ["https://www.afpy.org/", "//afpy.org"],
    ["http://pyhd.example.de:80/Treffen/", "//pyhd.example.de/Treffen"],
    ["https://pyhd.example.de:443/", "//pyhd.example.de"],
    ["https://pyhd.example.de:8443/x", "//pyhd.example.de:8443/x"],
    ["https://example.org/group?b=2&a=1&fbclid=abc", "//example.org/group?a=1&b=2"],
    ["  https://Example.org/Path  ", "//example.org/Path"],
    ["https://wiki.python.org/moin/KasselPython#Treffen", "//wiki.python.org/moin/KasselPython"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeUrl(input)).toBe(expected);
  });

  it("keeps path case outside meetup.com", () => {
    expect(normalizeUrl("https://example.org/PyGroup")).not.toBe(normalizeUrl("https://example.org/pygroup"));
  });

  it("treats http and https, www and bare host as the same group", () => {
    const keys = new Set(
      ["http://www.pycologne.de/", "https://pycologne.de", "https://www.pycologne.de/#top"].map(normalizeUrl),
    );
    expect(keys.size).toBe(1);
  });

  it("leaves strings that are not URLs recognisable instead of throwing", () => {
    expect(normalizeUrl("not a url")).toBe("not a url");
    expect(normalizeUrl("mailto:Org@Example.org")).toBe("mailto:Org@Example.org");
  });
});

describe("groupId", () => {
  it("is a readable slug plus 6 hex of the URL's sha1", () => {
    const key = normalizeUrl("https://www.meetup.com/PySilesia/");
    const hex = createHash("sha1").update(key).digest("hex").slice(0, 6);
    expect(groupId("PySilesia", key)).toBe(`pysilesia-${hex}`);
  });

  it("is stable and depends on the URL, not only on the name", () => {
    const a = groupId("Python Users Berlin", "//meetup.com/python-users-berlin-pub");
    expect(a).toBe(groupId("Python Users Berlin", "//meetup.com/python-users-berlin-pub"));
    expect(a).not.toBe(groupId("Python Users Berlin", "//pub.example"));
    expect(a).toMatch(/^python-users-berlin-[0-9a-f]{6}$/);
  });

  it("folds accents and special letters to ASCII and caps the slug at 32 characters", () => {
    expect(slugify("PyBesançon")).toBe("pybesancon");
    expect(slugify("Python Tromsø")).toBe("python-tromso");
    expect(slugify("Python Leeds & Bradford")).toBe("python-leeds-bradford");
    expect(slugify("Kraków Łódź Straße")).toBe("krakow-lodz-strasse");
    const long = slugify("The Very Long Name of a Python User Group in São José dos Campos");
    expect(long.length).toBeLessThanOrEqual(32);
    expect(long).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it("falls back to 'group' when the name has no letters to keep", () => {
    expect(groupId("东京 Python".replace("Python", ""), "//x.example")).toMatch(/^group-[0-9a-f]{6}$/);
  });
});
