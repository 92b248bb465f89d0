import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/connect.js";
import { recordCheck } from "../../src/db/scans.js";
import type { Status } from "../../src/db/schema.js";
import { buildReport } from "../../src/jobs/report.js";
import { CSV_COLUMNS, renderReport, reportCsv, reportMarkdown } from "../../src/present/report.js";
import { type EntryToMove, moveInactiveEntries } from "../../src/present/wiki-edit.js";
import { tempDb } from "../helpers/db.js";
import { expectOnlyMoved, lineChanges } from "../helpers/line-diff.js";
import { seedGroups } from "../helpers/seed.js";

const myst = readFileSync(new URL("../fixtures/wiki/LocalUserGroups.2026.md", import.meta.url), "utf8");
const moin = readFileSync(new URL("../fixtures/wiki/LocalUserGroups.raw.txt", import.meta.url), "utf8");

describe("wiki clean-up edit", () => {
  const mystDead: EntryToMove[] = [
    { url: "http://pythonnigeria.org/", name: "PyUNG" },
    { url: "http://ctpug.org.za/", name: "Cape Town Python Users Group" },
    { url: "https://example.invalid/none", name: "The Python Software Community Ghana" },
  ];

  it("moves MyST entries with their sub-lists under '#### Inactive groups' at the end of their section", () => {
    const edit = moveInactiveEntries(myst, "myst", mystDead);
    expect(edit.moved).toHaveLength(3);
    expect(edit.notFound).toEqual([]);
    expectOnlyMoved(myst, edit.text, /^#### Inactive groups$/);
    const lines = edit.text.split("\n");
    // Nigeria's only entry now sits under the heading, with its nested channels.
    const nigeria = lines.indexOf("### Nigeria ");
    expect(lines.slice(nigeria + 1, nigeria + 6)).toEqual([
      "",
      "#### Inactive groups",
      "",
      "- ([PyUNG](http://pythonnigeria.org/)) - Python Users Nigeria Group",
      "",
    ]);
    expect(lines[nigeria + 6]).toBe(
      "  - [Mailing List](https://mail.python.org/mailman/listinfo/python-nigeria)",
    );
    // Ghana's entry left the middle of its section: the diff sees its sub-list removed and added again.
    const { removed } = lineChanges(myst, edit.text);
    expect(removed).toContain("  - [Our Blog](https://blog.pythonghana.com)");

    const southAfrica = lines.indexOf("### South Africa ");
    const zimbabwe = lines.indexOf("### Zimbabwe ");
    const section = lines.slice(southAfrica, zimbabwe);
    const heading = section.indexOf("#### Inactive groups");
    expect(heading).toBeGreaterThan(
      section.indexOf(
        "- [Durban Hyperion Python Team](http://www.meetup.com/The-Durban-Hyperion-Python-Team/) - Durban",
      ),
    );
    expect(
      section.indexOf("- [Cape Town Python Users Group](http://ctpug.org.za/) - Cape Town"),
    ).toBeGreaterThan(heading);
    expect(lines.filter((l) => l === "#### Inactive groups")).toHaveLength(3);
  });

  it("uses the level below the section: '#####' under a '####' city heading", () => {
    const edit = moveInactiveEntries(myst, "myst", [
      { url: "https://pythonmaputo.slack.com/", name: "Python Maputo" },
    ]);
    expect(edit.moved).toHaveLength(1);
    expectOnlyMoved(myst, edit.text, /^##### Inactive groups$/);
    const lines = edit.text.split("\n");
    const heading = lines.indexOf("##### Inactive groups");
    expect(heading).toBeGreaterThan(lines.indexOf("- [GitHub](https://github.com/PyCMaputo/)"));
    expect(lines[heading + 2]).toBe("- [Slack](https://pythonmaputo.slack.com/)");
    expect(heading).toBeLessThan(lines.indexOf("### Morocco "));
  });

  it("leaves the page byte-identical when nothing matches, and a second run changes nothing", () => {
    expect(
      moveInactiveEntries(myst, "myst", [{ url: "https://nowhere.invalid/", name: "Nobody here" }]).text,
    ).toBe(myst);
    const once = moveInactiveEntries(myst, "myst", mystDead).text;
    const twice = moveInactiveEntries(once, "myst", mystDead);
    expect(twice.text).toBe(once);
    expect(twice.moved).toEqual([]);
  });

  it("moves a group's following items with it when they are the same group's other links", () => {
    const edit = moveInactiveEntries(myst, "myst", [
      {
        url: "https://www.facebook.com/groups/pythondz/",
        name: "Python Algeria",
        alsoUrls: ["http://python.eljazeir.com/"],
      },
    ]);
    expect(edit.moved).toHaveLength(1);
    expectOnlyMoved(myst, edit.text, /^#### Inactive groups$/);
    const lines = edit.text.split("\n");
    const heading = lines.indexOf("#### Inactive groups");
    expect(lines.slice(heading, heading + 5)).toEqual([
      "#### Inactive groups",
      "",
      "- [Python Algeria](https://www.facebook.com/groups/pythondz/) - Algeria",
      "",
      "- [Python Algeria](http://python.eljazeir.com) 2 - Algeria",
    ]);
    // Without the other links, the second item is another group's and stays.
    const alone = moveInactiveEntries(myst, "myst", [
      { url: "https://www.facebook.com/groups/pythondz/", name: "Python Algeria" },
    ]).text.split("\n");
    expect(alone.indexOf("- [Python Algeria](http://python.eljazeir.com) 2 - Algeria")).toBeLessThan(
      alone.indexOf("#### Inactive groups"),
    );
  });

  it("moves MoinMoin entries under the next '=' level at the end of their section", () => {
    const edit = moveInactiveEntries(moin, "moin", [
      { url: "http://www.pypoz.pl/", name: "PyPoznań" },
      { url: "http://www.joburgpython.co.za/", name: "Joburg Python" },
    ]);
    expect(edit.moved).toHaveLength(2);
    expectOnlyMoved(moin, edit.text, /^==== Inactive groups ====$/);
    const lines = edit.text.split("\n");
    const poland = lines.indexOf("=== Poland ===");
    const heading = lines.indexOf("==== Inactive groups ====", poland);
    expect(lines.indexOf(" * Katowice: [[https://www.meetup.com/PySilesia/|PySilesia]]")).toBeLessThan(
      heading,
    );
    expect(lines[heading + 1]).toBe(" * Poznań: [[http://www.pypoz.pl/|PyPoznań]]");
  });
});

async function setStatus(db: Db, id: string, status: Status, reason: string, at: string) {
  await recordCheck(
    db,
    {
      groupId: id,
      scanId: null,
      checkedAt: at,
      status,
      reason,
      httpStatus: status === "dead" ? 404 : 200,
      finalUrl: null,
      redirects: [],
      timings: {},
      evidence: { title: "Old page" },
    },
    () => ({
      status,
      reason,
      status_since: at,
      ever_alive: 1,
      consecutive_failures: 0,
      failing_since: null,
      failing_reason: null,
      last_activity_at: "2024-05-01T00:00:00.000Z",
      next_event_at: null,
    }),
  );
}

describe("clean-up report", () => {
  async function seeded() {
    const { db } = await tempDb();
    const ids = await seedGroups(db, [
      {
        name: "PySilesia",
        url: "https://www.meetup.com/PySilesia/",
        city: "Katowice",
        lat: 50.26,
        lon: 19.02,
      },
      {
        name: 'Pykonik, "the" Kraków group',
        url: "https://pykonik.org/",
        city: "Kraków",
        lat: 50.06,
        lon: 19.94,
      },
      { name: "PyWaw", url: "https://pywaw.org/", city: "Warsaw", lat: 52.23, lon: 21.01 },
      {
        name: "PyBerlin",
        url: "https://pyberlin.example/",
        city: "Berlin",
        country: "Germany",
        countryCode: "DE",
        lat: 52.52,
        lon: 13.4,
      },
    ]);
    await setStatus(db, ids[0]!, "alive", "upcoming_event", "2026-10-20T00:00:00.000Z");
    await setStatus(db, ids[1]!, "dead", "http_404", "2026-09-01T00:00:00.000Z");
    await setStatus(db, ids[2]!, "dormant", "no_recent_activity", "2026-08-01T00:00:00.000Z");
    await setStatus(db, ids[3]!, "alive", "ok", "2026-10-20T00:00:00.000Z");
    return db;
  }

  it("lists dead and dormant groups with evidence, since when and the nearest alive group", async () => {
    const data = await buildReport(await seeded(), new Date("2026-11-01T00:00:00Z"));
    expect(data.groups).toHaveLength(4);
    const byName = new Map(data.inactive.map((e) => [e.name, e]));
    expect([...byName.keys()].sort()).toEqual(["PyWaw", 'Pykonik, "the" Kraków group']);
    const krakow = byName.get('Pykonik, "the" Kraków group')!;
    expect(krakow).toMatchObject({ status: "dead", since: "2026-09-01T00:00:00.000Z" });
    expect(krakow.evidence).toContain("HTTP 404");
    expect(krakow.replacement).toMatchObject({ name: "PySilesia" });
    expect(krakow.replacement!.distanceKm).toBeGreaterThan(60);
    expect(krakow.replacement!.distanceKm).toBeLessThan(75);
    // Warsaw is nearer to Katowice (~ 250 km) than to Berlin (~ 520 km).
    expect(byName.get("PyWaw")!.replacement?.name).toBe("PySilesia");

    const md = reportMarkdown(data);
    expect(md).toContain("1 dead and 1 dormant of 4 listed groups");
    expect(md).toContain("[PySilesia](https://www.meetup.com/PySilesia/)");
  });

  it("writes a CSV with the study's columns that a CSV parser reads back unchanged", async () => {
    const data = await buildReport(await seeded(), new Date("2026-11-01T00:00:00Z"));
    const csv = reportCsv(data);
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(CSV_COLUMNS);
    expect(rows.map((r) => [r.name, r.is_alive, r.status])).toEqual(
      data.groups.map((g) => [g.name, g.status === "alive" ? "true" : "false", g.status]),
    );
    const krakow = rows.find((r) => r.url === "https://pykonik.org/")!;
    expect(krakow).toMatchObject({
      name: 'Pykonik, "the" Kraków group',
      reason: "http_404",
      since: "2026-09-01T00:00:00.000Z",
      last_activity: "2024-05-01T00:00:00.000Z",
      city: "Kraków",
      country: "Poland",
    });
    // Round trip: what the parser read, written again by the same library, is the same text.
    expect(stringify(parse(csv) as string[][])).toBe(csv);
  });

  it("says to run sync first when no copy of the wiki page is stored", async () => {
    const data = await buildReport(await seeded(), new Date("2026-11-01T00:00:00Z"));
    expect(renderReport(data, "wiki")).toEqual({
      kind: "unavailable",
      message: expect.stringContaining("poick sync"),
    });
    const withSource = renderReport({ ...data, snapshot: { text: moin, format: "moin" } }, "wiki");
    expect(withSource.kind).toBe("file");
  });
});
