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
    expect(cuts).toEqual([0, 2, 17]);
    expect(markdownOutline(page, WIKI_2026_PAGE_URL, { chunkChars: 1 })).toEqual(
      markdownOutline(page, WIKI_2026_PAGE_URL, { chunkChars: Number.POSITIVE_INFINITY }),
    );
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
