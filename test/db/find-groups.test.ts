import { describe, expect, it } from "vitest";
import { findGroups } from "../../src/db/groups.js";
import { insertGroups } from "../helpers/alerts.js";
import { tempDb } from "../helpers/db.js";

async function world() {
  const { db } = await tempDb();
  await insertGroups(db, [
    { id: "g-silesia", name: "PySilesia", city: "Katowice", country_name: "Poland" },
    { id: "g-krakow", name: "Pykonik", city: "Kraków", country_name: "Poland" },
    { id: "g-berlin", name: "Python Usergroup Berlin", city: "Berlin", country_name: "Germany" },
    { id: "g-underscore", name: "py_data Lisbon", city: "Lisbon", country_name: "Portugal" },
    { id: "g-no-underscore", name: "pyxdata Porto", city: "Porto", country_name: "Portugal" },
    { id: "g-percent", name: "100% Python", city: "Oslo", country_name: "Norway" },
    {
      id: "g-gone",
      name: "PySilesia Old",
      city: "Gliwice",
      country_name: "Poland",
      removed_at: "2026-01-01",
    },
  ]);
  return db;
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

describe("findGroups", () => {
  it("matches name, city and country fragments regardless of ASCII case", async () => {
    const db = await world();
    expect(ids(await findGroups(db, "SILESIA"))).toEqual(["g-silesia", "g-gone"]);
    expect(ids(await findGroups(db, "kAtOwIcE"))).toEqual(["g-silesia"]);
    expect(ids(await findGroups(db, "germ"))).toEqual(["g-berlin"]);
    expect(ids(await findGroups(db, "Kraków"))).toEqual(["g-krakow"]);
  });

  it("ranks exact names, then name prefixes, then names containing it, then places; removed groups last", async () => {
    const db = await world();
    expect(ids(await findGroups(db, "pysilesia"))).toEqual(["g-silesia", "g-gone"]);
    expect(ids(await findGroups(db, "python"))).toEqual(["g-berlin", "g-percent"]);
    expect(ids(await findGroups(db, "pol"))).toEqual(["g-krakow", "g-silesia", "g-gone"]);
  });

  it("never lets % and _ act as wildcards (punctuation is folded away)", async () => {
    const db = await world();
    expect(ids(await findGroups(db, "y_d"))).toEqual(["g-underscore"]);
    expect(ids(await findGroups(db, "0% p"))).toEqual(["g-percent"]);
    expect(await findGroups(db, "%")).toEqual([]);
    expect(await findGroups(db, "_")).toEqual([]);
  });

  it("ignores accents and case beyond ASCII, the same on any database", async () => {
    const db = await world();
    expect(ids(await findGroups(db, "krakow"))).toEqual(["g-krakow"]);
    expect(ids(await findGroups(db, "KRAKÓW"))).toEqual(["g-krakow"]);
  });

  it("finds a group by its id, and lists the first by name for an empty query", async () => {
    const db = await world();
    expect(ids(await findGroups(db, "g-no-underscore"))).toEqual(["g-no-underscore"]);
    expect(ids(await findGroups(db, "  ", 2))).toEqual(["g-percent", "g-silesia"]);
  });
});
