import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { readListing } from "../../src/sources/read-listing.js";
import type { ListedGroup } from "../../src/sources/types.js";
import { testApp } from "../helpers/app.js";
import { cli } from "../helpers/cli.js";
import { expectOnlyMoved } from "../helpers/line-diff.js";

const FIXTURES = join(import.meta.dirname, "../fixtures");
const MYST = join(FIXTURES, "wiki-2026/LocalUserGroups.md");
const MOIN = join(FIXTURES, "wiki/LocalUserGroups.raw.txt");
const HTML = join(FIXTURES, "wiki-2026/LocalUserGroups.html");

async function markDead(app: App, names: string[]) {
  const r = await app.db
    .updateTable("groups")
    .set({ status: "dead", reason: "http_404", status_since: "2026-09-01T00:00:00.000Z" })
    .where("name", "in", names)
    .executeTakeFirst();
  expect(Number(r.numUpdatedRows)).toBe(names.length);
}

/** Everything the reader says about a group except where its lines are: the groups as a sorted list. */
const groupsOf = (text: string) =>
  (readListing({ body: text })?.groups ?? [])
    .map(({ lines: _lines, ...g }: ListedGroup) => JSON.stringify(g))
    .sort();

/** The heading a line sits under. */
function headingAbove(lines: string[], index: number, pattern: RegExp): string | undefined {
  for (let i = index; i >= 0; i--) if (pattern.test(lines[i] as string)) return lines[i];
  return undefined;
}

describe("poick report --format wiki", () => {
  it("moves the dead groups of a synced MyST page; the rest of the page and every group read back unchanged", async () => {
    const app = await testApp();
    const synced = await app.jobs.sync({ source: MYST });
    expect(synced.kind).toBe("synced");
    const source = readFileSync(MYST, "utf8");
    const dead = [
      "PyUNG", // a sub-list of channels
      "The Python Software Community Ghana", // no link on its own line, channels below
      "Python Algeria", // two consecutive items that are one group ("X" and "X 2")
      "Cape Town Python Users Group",
      "PyTchê", // nested under "Regional (by State)": left in place, and said so
    ];
    await markDead(app, dead);

    const run = await cli(["report", "--format", "wiki"], { POICK_DB: app.config.dbPath });
    expect(run.stderr).toBe(
      'Moved 4 dead entries under "Inactive groups" at the end of their sections.\n' +
        "Left in place (nested under another entry, or not found on the page; move by hand): PyTchê.\n",
    );
    expect(run.code).toBe(0);
    const out = run.stdout;

    // Only moved lines and the new headings differ from the source.
    const { added } = expectOnlyMoved(source, out, /^#{3,6} Inactive groups$/);
    expect(added).toContain("- [Python Algeria](http://python.eljazeir.com) 2 - Algeria");

    // Poick's own reader finds the same groups, with the same places and channels: the heading is a marker.
    expect(groupsOf(out)).toEqual(groupsOf(source));

    // Each moved entry sits under an "Inactive groups" heading; the nested one did not move.
    const lines = out.split("\n");
    for (const line of [
      "- ([PyUNG](http://pythonnigeria.org/)) - Python Users Nigeria Group",
      "- The Python Software Community Ghana - Python Ghana",
      "- [Python Algeria](https://www.facebook.com/groups/pythondz/) - Algeria",
      "- [Python Algeria](http://python.eljazeir.com) 2 - Algeria",
      "- [Cape Town Python Users Group](http://ctpug.org.za/) - Cape Town",
    ])
      expect(headingAbove(lines, lines.indexOf(line), /^#+ /), line).toBe("#### Inactive groups");
    expect(
      headingAbove(
        lines,
        lines.findIndex((l) => l.includes("[PyTchê]")),
        /^#+ /,
      ),
    ).toBe("### Brazil ");

    // Written to a file, the same text.
    const file = join(app.dir, "LocalUserGroups.md");
    const written = await cli(["report", "--format", "wiki", "--out", file], { POICK_DB: app.config.dbPath });
    expect(written.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(out);
  }, 60_000);

  it("edits MoinMoin markup when the last sync read the raw markup", async () => {
    const app = await testApp();
    expect((await app.jobs.sync({ source: MOIN })).kind).toBe("synced");
    const source = readFileSync(MOIN, "utf8");
    await markDead(app, ["PyPoznań", "Joburg Python"]);
    const run = await cli(["report", "--format", "wiki"], { POICK_DB: app.config.dbPath });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^Moved 2 dead entries/);
    expectOnlyMoved(source, run.stdout, /^=+ Inactive groups =+$/);
    expect(groupsOf(run.stdout)).toEqual(groupsOf(source));
  }, 60_000);

  it("says the markup wasn't available when the last sync read the rendered HTML", async () => {
    const app = await testApp();
    expect((await app.jobs.sync({ source: HTML })).kind).toBe("synced");
    const run = await cli(["report", "--format", "wiki"], { POICK_DB: app.config.dbPath });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/rendered HTML page, so its markup wasn't available/);
    expect(run.stderr).toMatch(/Markdown source/);
  }, 60_000);
});
