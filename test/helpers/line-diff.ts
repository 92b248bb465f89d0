import { diffArrays } from "diff";
import { expect } from "vitest";

/** Lines removed from and added to the source, by a line diff. */
export function lineChanges(before: string, after: string) {
  const removed: string[] = [];
  const added: string[] = [];
  for (const part of diffArrays(before.split("\n"), after.split("\n"))) {
    if (part.removed) removed.push(...part.value);
    if (part.added) added.push(...part.value);
  }
  return { removed, added };
}

/** The edit only moved lines: what left is what arrived, apart from blank lines and the new headings. */
export function expectOnlyMoved(before: string, after: string, headingPattern: RegExp) {
  const { removed, added } = lineChanges(before, after);
  const blank = (s: string) => s.trim() === "";
  expect(removed.filter((l) => !blank(l)).sort()).toEqual(
    added.filter((l) => !blank(l) && !headingPattern.test(l)).sort(),
  );
  expect(removed.filter((l) => !blank(l)).length).toBeGreaterThan(0);
  return { removed, added };
}
