import { describe, expect, it } from "vitest";
import { WriteBatches } from "../../src/jobs/write-batches.js";

/** A write that records its batches and can be held until released. */
function recorder() {
  const batches: number[][] = [];
  let hold: Promise<void> | null = null;
  let release = () => {};
  return {
    batches,
    holdNext() {
      hold = new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
    write: async (batch: number[]) => {
      batches.push(batch);
      if (hold) await hold;
      hold = null;
    },
  };
}

describe("WriteBatches", () => {
  it("writes full batches as they fill, in order, and the rest on close", async () => {
    const r = recorder();
    const w = new WriteBatches(r.write, { rows: 3, waitMs: 60_000 });
    for (let i = 1; i <= 7; i++) await w.add(i);
    await w.close();
    expect(r.batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it("a batch that does not fill is written after its wait, without close", async () => {
    let written: (b: number[]) => void = () => {};
    const first = new Promise<number[]>((resolve) => {
      written = resolve;
    });
    const w = new WriteBatches(async (b: number[]) => written(b), { rows: 100, waitMs: 5 });
    await w.add(1);
    await w.add(2);
    expect(await first).toEqual([1, 2]);
    await w.close();
  });

  it("gathers the next batch while one is written, and makes add wait when writes fall behind", async () => {
    const r = recorder();
    const w = new WriteBatches(r.write, { rows: 2, waitMs: 60_000 });
    r.holdNext();
    await w.add(1);
    await w.add(2); // the first batch starts and is held
    for (let i = 3; i <= 9; i++) await w.add(i); // 7 waiting: fewer than 4 batches
    let tenth = false;
    const adding = w.add(10).then(() => {
      tenth = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(tenth).toBe(false); // 8 waiting: add holds its caller until the write ends
    r.release();
    await adding;
    await w.close();
    expect(r.batches.flat()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.batches.every((b) => b.length <= 2)).toBe(true);
  });

  it("close throws what a write threw", async () => {
    const w = new WriteBatches(
      async () => {
        throw new Error("disk full");
      },
      { rows: 1, waitMs: 60_000 },
    );
    await w.add(1);
    await expect(w.close()).rejects.toThrow("disk full");
  });
});
