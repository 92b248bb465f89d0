import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pugAdmin } from "../../src/commands/pug-admin.js";
import { testApp } from "../helpers/app.js";
import { FakeClock } from "../helpers/clock.js";
import { admin, RecordingResponder, rawOptions } from "../helpers/responder.js";

/** A MyST page with groups 0..n-1 (each in its own city-less line, one country). */
function page(ids: number[]): string {
  const lines = ["# Local User Groups", "", "## Europe", "", "### Poland", ""];
  for (const i of ids) lines.push(`- [Python Group ${i}](https://group${i}.example/) - Warsaw`, "");
  return `${lines.join("\n")}\n`;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("the sync guard", () => {
  it("compares with the largest recent sync: a page losing 40% twice is refused the second time", async () => {
    const clock = new FakeClock();
    const app = await testApp({}, clock);
    const file = join(app.dir, "page.md");
    const sync = async (ids: number[]) => {
      writeFileSync(file, page(ids));
      clock.advanceHours(24);
      return app.jobs.sync({ source: file });
    };
    expect((await sync(range(0, 100))).kind).toBe("synced");
    expect((await sync(range(0, 60))).kind).toBe("synced"); // 40% fewer: still plausible
    const second = await sync(range(0, 36)); // 40% fewer again: 36 of a recent 100
    expect(second.kind).toBe("refused");
    expect(second.kind === "refused" && second.message).toMatch(/recent syncs found up to 100/);
  });

  it("applies a sudden flood of new groups quietly and flags it for a human in alerts show", async () => {
    const clock = new FakeClock();
    const app = await testApp({}, clock);
    const file = join(app.dir, "page.md");
    writeFileSync(file, page(range(0, 30)));
    expect((await app.jobs.sync({ source: file })).kind).toBe("synced");
    const inv = admin();
    await pugAdmin.run(
      app,
      inv,
      rawOptions("alerts channel", { channel: { value: "444444444444444444", channelType: 0 } }),
      new RecordingResponder(),
    );
    clock.advanceHours(24);
    // Two new groups are news; twenty at once (more than a third of 30) are not announced.
    writeFileSync(file, page(range(0, 32)));
    const few = await app.jobs.sync({ source: file });
    expect(few.kind === "synced" && few.flagged).toBeNull();
    const announced = await app.db.selectFrom("outbox").select("kind").where("kind", "=", "new").execute();
    expect(announced.length).toBeGreaterThan(0);

    clock.advanceHours(24);
    writeFileSync(file, page(range(0, 52)));
    const flood = await app.jobs.sync({ source: file });
    expect(flood.kind).toBe("synced");
    expect(flood.kind === "synced" && flood.added.length).toBe(20);
    expect(flood.kind === "synced" && flood.flagged).toMatch(/20 new groups at once/);
    const after = await app.db.selectFrom("outbox").select("kind").where("kind", "=", "new").execute();
    expect(after.length).toBe(announced.length); // nothing more announced

    const show = new RecordingResponder();
    await pugAdmin.run(app, inv, rawOptions("alerts show"), show);
    expect(show.text).toMatch(/needs a human look: 20 new groups at once/);
  });
});
