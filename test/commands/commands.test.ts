import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ApplicationCommandOptionType as T } from "discord-api-types/v10";
import { afterEach, describe, expect, it } from "vitest";
import { defineCommand } from "../../src/commands/define.js";
import { COMMANDS } from "../../src/commands/index.js";
import { pug } from "../../src/commands/pug.js";
import { pugAdmin } from "../../src/commands/pug-admin.js";
import { UserError } from "../../src/commands/types.js";
import { getGuildSettings } from "../../src/db/guild-settings.js";
import { testApp } from "../helpers/app.js";
import { FakeClock } from "../helpers/clock.js";
import { admin, member, RecordingResponder, rawOptions } from "../helpers/responder.js";
import { seedGroups } from "../helpers/seed.js";

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe("routing", () => {
  it("every declared subcommand is routed and every route is declared", () => {
    for (const c of COMMANDS) {
      expect([...c.handled].sort(), c.data.name).toEqual([...c.routes].sort());
    }
    expect(pugAdmin.routes).toContain("alerts board");
  });

  it("the types refuse a handler that reads an undeclared option or misses a subcommand", () => {
    const data = {
      name: "t",
      description: "t",
      options: [
        {
          type: T.Subcommand,
          name: "a",
          description: "a",
          options: [{ type: T.String, name: "x", description: "x", required: true }],
        },
        { type: T.Subcommand, name: "b", description: "b" },
      ],
    } as const;
    const seen: string[] = [];
    const ok = defineCommand({
      data,
      handlers: {
        a: async (_c, args) => {
          seen.push(args.x.toUpperCase()); // a required string: no null check needed
          // @ts-expect-error — "y" is not declared on /t a
          void args.y;
        },
        b: async () => {},
      },
    });
    // @ts-expect-error — "b" is declared but not routed
    defineCommand({ data, handlers: { a: async () => {} } });
    expect(ok.routes).toEqual(["a", "b"]);
    return ok
      .run({} as never, member(), rawOptions("a", { x: "hi", y: "sneaky" }), new RecordingResponder())
      .then(() => {
        expect(seen).toEqual(["HI"]);
      });
  });

  it("refuses a subcommand nobody declared", async () => {
    const app = await testApp();
    await expect(pug.run(app, member(), rawOptions("nope"), new RecordingResponder())).rejects.toThrow(
      /not routed/,
    );
  });
});

describe("/pug in-process", () => {
  it("near, search, info, stats and map answer from the database", async () => {
    const app = await testApp();
    await seedGroups(app.db, [
      { name: "PySilesia", url: "https://pysilesia.example/", city: "Katowice", lat: 50.26, lon: 19.02 },
      {
        name: "Pykonik",
        url: "https://pykonik.example/",
        city: "Kraków",
        lat: 50.06,
        lon: 19.94,
        channels: [{ kind: "meetup", url: "https://www.meetup.com/pykonik/" }],
      },
    ]);
    const near = new RecordingResponder();
    await pug.run(app, member(), rawOptions("near", { place: "Katowice" }), near);
    expect(near.text.indexOf("PySilesia")).toBeLessThan(near.text.indexOf("Pykonik"));
    expect(near.text).toContain("[PySilesia](https://pysilesia.example/)");

    const search = new RecordingResponder();
    await pug.run(app, member(), rawOptions("search", { query: "pyko" }), search);
    expect(search.text).toContain("Pykonik");

    const info = new RecordingResponder();
    await pug.run(app, member(), rawOptions("info", { group: "Pykonik" }), info);
    expect(info.text).toMatch(/Not checked yet/);
    expect(info.text).toContain(
      "Channels: Meetup: [www.meetup.com/pykonik](https://www.meetup.com/pykonik/)",
    );

    const stats = new RecordingResponder();
    await pug.run(app, member(), rawOptions("stats", {}), stats);
    expect(stats.text).toMatch(/0 \/ 2 = 0\.0% alive/);

    const map = new RecordingResponder();
    await pug.run(app, member(), rawOptions("map", {}), map);
    expect(map.calls[0]?.kind).toBe("defer");
    expect(map.last?.files?.length).toBeGreaterThan(0);
  });
});

describe("/pug-admin in-process", () => {
  it("refuses members without Manage Server, and DMs", async () => {
    const app = await testApp();
    await expect(
      pugAdmin.run(app, member(), rawOptions("alerts show"), new RecordingResponder()),
    ).rejects.toThrow(UserError);
    await expect(
      pugAdmin.run(
        app,
        admin({ guildId: null, permissions: null }),
        rawOptions("alerts show"),
        new RecordingResponder(),
      ),
    ).rejects.toThrow(/in a server/);
  });

  it("sets alerts, a status board, shows and turns them off", async () => {
    const app = await testApp();
    const inv = admin();
    const res = new RecordingResponder();
    await pugAdmin.run(
      app,
      inv,
      rawOptions("alerts channel", {
        channel: { value: "444444444444444444", channelType: 0 },
        country: "Poland",
      }),
      res,
    );
    expect(res.text).toMatch(/Alerts for Poland \(PL\) will go to <#444444444444444444>/);
    await pugAdmin.run(
      app,
      inv,
      rawOptions("alerts board", { channel: { value: "555555555555555555", channelType: 0 } }),
      res,
    );
    expect((await getGuildSettings(app.db, inv.guildId as string))?.status_board_channel_id).toBe(
      "555555555555555555",
    );
    await pugAdmin.run(app, inv, rawOptions("alerts show"), res);
    expect(res.text).toContain("<#444444444444444444>");
    expect(res.text).toContain("Status board in <#555555555555555555>");
    await pugAdmin.run(app, inv, rawOptions("alerts board"), res);
    expect((await getGuildSettings(app.db, inv.guildId as string))?.status_board_channel_id).toBeNull();
    await pugAdmin.run(app, inv, rawOptions("alerts off"), res);
    expect(res.text).toMatch(/Alerts are off/);
  });

  it("a forced sync runs the app's use case, and a second one from the same server waits", async () => {
    const clock = new FakeClock();
    const app = await testApp({ POICK_WIKI_URL: "http://127.0.0.1:9/nowhere" }, clock);
    const inv = admin({ guildId: "777777777777777777" });
    const first = new RecordingResponder();
    await pugAdmin.run(app, inv, rawOptions("sync"), first);
    expect(first.calls[0]).toEqual({ kind: "defer", ephemeral: true });
    expect(first.text).toMatch(/Sync failed/);
    expect((await app.jobs.lastRun("sync")).result).toMatch(/failed/);
    await expect(pugAdmin.run(app, inv, rawOptions("sync"), new RecordingResponder())).rejects.toThrow(
      /wait \d+ more minute/,
    );
    // Another server is not held back, and the wait ends.
    await pugAdmin.run(
      app,
      admin({ guildId: "888888888888888888" }),
      rawOptions("sync"),
      new RecordingResponder(),
    );
    clock.advance(11 * 60_000);
    await pugAdmin.run(app, inv, rawOptions("sync"), new RecordingResponder());
  });

  it("rescanning one group checks it now and shows its fresh verdict", async () => {
    const site = createServer((_q, r) =>
      r.writeHead(404, { "content-type": "text/html" }).end("<h1>Not Found</h1>"),
    );
    servers.push(site);
    await new Promise<void>((r) => site.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/group`;
    const app = await testApp({ POICK_RETRIES: "0" });
    const [id] = await seedGroups(app.db, [{ name: "PyGone", url }]);
    const res = new RecordingResponder();
    await pugAdmin.run(app, admin(), rawOptions("rescan", { group: id }), res);
    expect(res.calls[0]).toEqual({ kind: "defer", ephemeral: true });
    expect(res.text).toMatch(/Checked just now: 🔴 PyGone is dead/);
    expect(await app.db.selectFrom("checks").select("status").execute()).toEqual([{ status: "dead" }]);
  });
});
