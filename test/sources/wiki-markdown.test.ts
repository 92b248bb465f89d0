import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { WIKI_2026_PAGE_URL } from "../../src/sources/read-listing.js";
import { markdownChunks, markdownOutline } from "../../src/sources/wiki-markdown.js";

const MD = readFileSync(new URL("../fixtures/wiki-2026/LocalUserGroups.md", import.meta.url), "utf8");

describe("a long Markdown page read in pieces", () => {
  it("gives the same outline, source lines included, as the page read whole", () => {
    const whole = markdownOutline(MD, WIKI_2026_PAGE_URL, { chunkChars: Number.POSITIVE_INFINITY });
    const chunks = markdownChunks(MD, 2000);
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.map((c) => c.text).join("")).toBe(MD);
    expect(markdownOutline(MD, WIKI_2026_PAGE_URL, { chunkChars: 2000 })).toEqual(whole);
  });

  it("never cuts inside a fenced block, whatever its lines look like", () => {
    const page = [
      "# Page",
      "",
      "## Europe",
      "",
      "- [PyA](https://a.example/) - Berlin",
      "",
      "````{admonition} Note",
      "```",
      "## not a heading",
      "```",
      "## still not a heading",
      "````",
      "",
      "~~~",
      "# nor this",
      "~~~",
      "",
      "## Asia",
      "",
      "- [PyB](https://b.example/) - Tokyo",
      "",
    ].join("\r\n");
    const cuts = markdownChunks(page, 1).map((c) => c.firstLine);
    // At headings and at items after a blank line; none among the fenced lines 6-15.
    expect(cuts).toEqual([0, 2, 4, 17, 19]);
    expect(markdownOutline(page, WIKI_2026_PAGE_URL, { chunkChars: 1 })).toEqual(
      markdownOutline(page, WIKI_2026_PAGE_URL, { chunkChars: Number.POSITIVE_INFINITY }),
    );
  });

  it("cuts a long list between top-level items, and the items, depths and lines stay the same", () => {
    const lines = ["# Page", "", "## Europe", ""];
    for (let i = 0; i < 40; i++) {
      lines.push(`- [Py${i}](https://py${i}.example/) - Berlin`, "");
      if (i % 3 === 0) lines.push(`  - [Meetup](https://www.meetup.com/py${i}/)`, "");
    }
    lines.push(
      "- - -",
      "",
      "* [PyStar](https://star.example/)",
      "text",
      "- [PyTight](https://tight.example/)",
      "",
    );
    const page = lines.join("\n");
    const chunks = markdownChunks(page, 1);
    expect(chunks.length).toBeGreaterThan(30);
    // Never at a thematic break, and never without a blank line before (a tight item may end a paragraph).
    expect(chunks.map((c) => page.split("\n")[c.firstLine])).not.toContain("- - -");
    expect(chunks.map((c) => page.split("\n")[c.firstLine])).not.toContain(
      "- [PyTight](https://tight.example/)",
    );
    expect(markdownOutline(page, WIKI_2026_PAGE_URL, { chunkChars: 1 })).toEqual(
      markdownOutline(page, WIKI_2026_PAGE_URL, { chunkChars: Number.POSITIVE_INFINITY }),
    );
  });

  it("stops cutting at a fence indented inside a list item, which ends with the item", () => {
    // The item's fence ends where the item does; the fence at the margin after it runs to the page's end, so
    // "Asia" is no heading. A cut at "## Asia" (the fence's closing line misread) would make it one.
    const page = [
      "# Page",
      "",
      "## Europe",
      "",
      "- [PyA](https://a.example/) - Berlin",
      "",
      "  ```",
      "  code in the item",
      "",
      "```",
      "- [not a group](https://n.example/)",
      "",
      "## Asia",
      "",
      "- [PyB](https://b.example/) - Tokyo",
      "",
    ].join("\n");
    const whole = markdownOutline(page, WIKI_2026_PAGE_URL, { chunkChars: Number.POSITIVE_INFINITY });
    expect(whole.filter((b) => b.kind === "heading").map((b) => b.kind === "heading" && b.text)).toEqual([
      "Page",
      "Europe",
    ]);
    expect(markdownOutline(page, WIKI_2026_PAGE_URL, { chunkChars: 1 })).toEqual(whole);
  });

  it("reads a page with link reference definitions whole", () => {
    const page =
      "## Europe\n\n- [PyA][a] - Berlin\n\n## Asia\n\n- [PyB][b] - Tokyo\n\n[a]: https://a.example/\n[b]: https://b.example/\n";
    expect(markdownChunks(page, 1)).toHaveLength(1);
    const items = markdownOutline(page, WIKI_2026_PAGE_URL, { chunkChars: 1 }).filter(
      (b) => b.kind === "item",
    );
    expect(items.map((b) => b.kind === "item" && b.parts[0])).toEqual([
      { kind: "link", text: "PyA", url: "https://a.example/" },
      { kind: "link", text: "PyB", url: "https://b.example/" },
    ]);
  });
});
