import { type Kysely, sql } from "kysely";
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/connect.js";
import { findGroups, groupSearchQueries } from "../../src/db/group-search.js";
import * as m008 from "../../src/db/migrations/008_search_trigram_index.js";
import type { GroupRow } from "../../src/db/schema.js";
import { groupSearchKey, searchText } from "../../src/db/search-key.js";
import { explainPlan } from "../../src/db/spatial.js";
import { onPostgres, tempDb } from "../helpers/db.js";
import { makeGroup } from "../helpers/groups.js";

// Deterministic randomness, so a failure can be replayed.
function random(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}
const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

const WORDS = [
  "Py",
  "Python",
  "PyData",
  "Django",
  "PyLadies",
  "Users",
  "Group",
  "Meetup",
  "Straße",
  "Groß",
  "Kraków",
  "Łódź",
  "Zürich",
  "Ørsted",
  "Æther",
  "São",
  "Paulo",
  "東京",
  "大阪",
  "パイソン",
  "北京",
  "Москва",
  "Αθήνα",
  "100%",
  "py_data",
  "c-base",
  "St.",
  "a",
  "b",
  "ab",
  "ba",
  "Ab",
  "AB",
  "x",
  "1",
  "12",
  "2026",
  "Berlin",
  "Bern",
  "Bergen",
  "Saint",
  "Sankt",
  "Ämter",
  "aß",
  "ss",
];
const CITIES = [
  "Katowice",
  "Kraków",
  "Berlin",
  "München",
  "東京",
  "São Paulo",
  "Zürich",
  "Łódź",
  "Straßburg",
  "Oslo",
  "",
];
const COUNTRIES = ["Poland", "Germany", "Japan", "Brazil", "Switzerland", "Norway", "Österreich", "日本", ""];

/** A few thousand groups with accents, ß, CJK, punctuation, one- and two-letter words; one in eight removed. */
async function seed(db: Db, n: number, rand: () => number): Promise<GroupRow[]> {
  await db
    .insertInto("sources")
    .values({ id: "wiki", url: "https://wiki.python.org/moin/LocalUserGroups", last_group_count: 0 })
    .execute();
  const rows = Array.from({ length: n }, (_, i) => {
    const words = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(rand, WORDS));
    if (rand() < 0.3) words.push(String(Math.floor(rand() * 500)));
    const g = makeGroup({
      id: `g${i}`,
      name: words.join(rand() < 0.2 ? "" : " "),
      normalized_url: `//g${i}.example`,
      city: pick(rand, CITIES) || null,
      country_name: pick(rand, COUNTRIES) || null,
      removed_at: rand() < 0.125 ? "2026-01-01T00:00:00.000Z" : null,
    });
    return { ...g, last_check_id: null, search_key: groupSearchKey(g) };
  });
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto("groups")
      .values(rows.slice(i, i + 200))
      .execute();
  if (onPostgres) await sql`analyze groups`.execute(db);
  return db.selectFrom("groups").selectAll().execute();
}

const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The ranking findGroups promises, by brute force over every row in JS. */
function bruteForce(all: readonly GroupRow[], query: string, limit: number): string[] {
  const key = searchText(query);
  if (!key) return [];
  const ranked = all
    .filter((g) => g.search_key.includes(key))
    .map((g) => {
      const n = g.search_key.slice(0, g.search_key.indexOf(" | "));
      const r = n === key ? 0 : n.startsWith(key) ? 1 : n.includes(key) ? 2 : 3;
      return { g, n, r: r + (g.removed_at ? 10 : 0) };
    });
  ranked.sort((a, b) => a.r - b.r || bytes(a.n, b.n) || bytes(a.g.name, b.g.name) || bytes(a.g.id, b.g.id));
  return ranked.slice(0, limit).map((x) => x.g.id);
}

describe("group search with the trigram and name indexes", () => {
  it("finds the same groups in the same order as a brute-force ranking", async () => {
    const { db } = await tempDb();
    const rand = random(13);
    const all = await seed(db, 3000, rand);
    const queries = [
      ...[
        "a",
        "b",
        "x",
        "1",
        "ab",
        "AB",
        "ba",
        "12",
        "py",
        "ss",
        "ß",
        "s",
        "東",
        "東京",
        "京",
        "大阪",
        "Ø",
        "æ",
      ],
      ...[
        "Kraków",
        "krakow",
        "KRAKÓW",
        "Straße",
        "strasse",
        "grosse",
        "Zürich",
        "zurich",
        "München",
        "São Paulo",
      ],
      ...["東京都", "パイソン", "москва", "Αθήνα", "python", "pydata", "py data", "py_data", "100%", "0% p"],
      ...["%", "_", "%%", "a%b", "_a_", "c-base", "c base", "st.", "saint", "berlin", "ber", "bern", "japan"],
      ...["Poland", "pol", "land", "nothing-like-it", "zzz", "2026", "026", "ladies", "users group"],
    ];
    // Fragments of the seeded names, as the bench types them: 1 to 6 characters from anywhere.
    for (let i = 0; i < 150; i++) {
      const chars = [...pick(rand, all).name];
      const len = 1 + Math.floor(rand() * 6);
      const start = Math.floor(rand() * Math.max(1, chars.length - len));
      const fragment = chars.slice(start, start + len).join("");
      // (An empty query lists the first groups by name: find-groups.test.ts.)
      if (fragment.trim()) queries.push(fragment);
    }
    for (const q of queries)
      for (const limit of [1, 25, 100])
        expect(
          (await findGroups(db, q, limit)).map((g) => g.id),
          `${q} (limit ${limit})`,
        ).toEqual(bruteForce(all, q, limit));
  });

  it("keeps the trigram index in step with inserts, key changes, renamed ids and deletes", async () => {
    const { db } = await tempDb();
    await seed(db, 50, random(3));
    const ids = async (q: string) => (await findGroups(db, q, 100)).map((g) => g.id);
    const one = makeGroup({ id: "g-new", name: "Pyquixotic", normalized_url: "//new.example" });
    await db
      .insertInto("groups")
      .values({ ...one, last_check_id: null, search_key: groupSearchKey(one) })
      .execute();
    expect(await ids("quixot")).toEqual(["g-new"]);
    await db
      .updateTable("groups")
      .set({ search_key: groupSearchKey({ name: "Pyzephyrine" }) })
      .where("id", "=", "g-new")
      .execute();
    expect(await ids("quixot")).toEqual([]);
    expect(await ids("zephyr")).toEqual(["g-new"]);
    await db.updateTable("groups").set({ id: "g-renamed" }).where("id", "=", "g-new").execute();
    expect(await ids("zephyr")).toEqual(["g-renamed"]);
    await db.deleteFrom("groups").where("id", "=", "g-renamed").execute();
    expect(await ids("zephyr")).toEqual([]);
  });

  it("reads the trigram index for a key of 3+ characters and the name index for a prefix", async () => {
    const { db } = await tempDb();
    await seed(db, 2000, random(7));
    await db.connection().execute(async (conn) => {
      // PostgreSQL may prefer reading a small table whole; forbid that, so the plan shows whether the
      // index can answer at all.
      if (onPostgres) await sql`set enable_seqscan = off`.execute(conn);
      for (const key of ["ber", "krakow", "東京都"]) {
        const plan = groupSearchQueries(conn, searchText(key), 25);
        const rest = (await explainPlan(conn, plan.rest(25))).join("\n");
        if (onPostgres) {
          expect(rest, rest).toMatch(/Bitmap Index Scan on groups_trgm/);
          expect(rest, rest).not.toMatch(/Seq Scan/);
        } else {
          expect(rest, rest).toMatch(/SCAN t VIRTUAL TABLE INDEX/);
          expect(rest, rest).not.toMatch(/SCAN groups\b(?! USING)/);
        }
        const prefix = (await explainPlan(conn, plan.prefix)).join("\n");
        if (onPostgres) expect(prefix, prefix).toMatch(/Index Scan (using|on) groups_name_key/);
        else expect(prefix, prefix).toMatch(/SEARCH groups USING INDEX groups_name_key/);
      }
      if (onPostgres) await sql`reset enable_seqscan`.execute(conn);
    });
  });
  it("fills the indexes from the groups already there, and its down migration drops them", async () => {
    const { db } = await tempDb();
    const all = await seed(db, 400, random(21));
    const indexes = async () =>
      onPostgres
        ? (
            await sql<{ name: string }>`select indexname as name from pg_indexes
              where indexname in ('groups_trgm', 'groups_name_key')`.execute(db)
          ).rows.map((r) => r.name)
        : (
            await sql<{ name: string }>`select name from sqlite_master
              where name in ('groups_trgm', 'group_text_keys', 'groups_name_key') or name like 'groups_trgm_%'`.execute(
              db,
            )
          ).rows.map((r) => r.name);
    expect((await indexes()).length).toBeGreaterThan(0);
    await db.transaction().execute((trx) => m008.down(trx as unknown as Kysely<unknown>));
    expect(await indexes()).toEqual([]);
    await db.transaction().execute((trx) => m008.up(trx as unknown as Kysely<unknown>));
    for (const q of ["ber", "krakow", "東京", "b", "py", "strasse", "ab"])
      expect(
        (await findGroups(db, q, 50)).map((g) => g.id),
        q,
      ).toEqual(bruteForce(all, q, 50));
  });
});
