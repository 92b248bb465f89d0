import type { Db } from "../db/connect.js";
import { findGroups } from "../db/groups.js";
import type { GroupRow } from "../db/schema.js";

/** The group a user means: by id (what autocomplete sends) or else the best name match. */
export async function findGroup(db: Db, query: string): Promise<GroupRow | undefined> {
  return query.trim() ? (await findGroups(db, query, 1))[0] : undefined;
}

export type GroupPick =
  | { kind: "found"; group: GroupRow }
  | { kind: "none" }
  | { kind: "several"; groups: GroupRow[] };

/** For a person typing a name: one group, none, or several to choose from (an exact id or name wins). */
export async function pickGroup(db: Db, query: string): Promise<GroupPick> {
  const found = await findGroups(db, query, 10);
  if (found.length === 0) return { kind: "none" };
  const q = query.trim().toLowerCase();
  const exact = found.filter((g) => g.id === query.trim() || g.name.toLowerCase() === q);
  if (exact.length === 1) return { kind: "found", group: exact[0] as GroupRow };
  if (found.length === 1) return { kind: "found", group: found[0] as GroupRow };
  return { kind: "several", groups: found };
}
