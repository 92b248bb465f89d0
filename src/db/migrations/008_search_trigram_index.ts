import { type Kysely, PostgresAdapter, sql } from "kysely";

/**
 * Indexes for group search (findGroups in groups.ts), so a keystroke in `/pug info` or `/pug search` reads
 * the groups that match, not all 100,000 folded keys:
 *
 * - a trigram index over search_key for substrings of 3+ characters. SQLite: a contentless FTS5 table with
 *   the trigram tokenizer (bundled with better-sqlite3); a phrase of trigrams is exactly "contains". FTS5
 *   rowids are integers and VACUUM (and VACUUM INTO, the backup) may renumber a table's implicit rowids, so a
 *   small key table maps each group to a stable integer, as in 004. Triggers keep both in step with every
 *   write to groups. PostgreSQL: pg_trgm's GIN index, which answers `like '%…%'`; where the extension can't
 *   be created, no index (search still works, by a scan); meta.search_index says which.
 * - an index on the folded name (search_key up to " | "), for names starting with the key (a range, in
 *   order, so the first page stops early) and for the order of results. On PostgreSQL search_key gets the
 *   "C" collation, so the range means "starts with" and the order is the same byte order as SQLite's.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await upPostgres(db);
    return;
  }
  await sql`create index groups_name_key on groups (substr(search_key, 1, instr(search_key, ' | ') - 1))`.execute(
    db,
  );
  await sql`create table group_text_keys (key integer primary key, group_id text not null unique)`.execute(
    db,
  );
  await sql`create virtual table groups_trgm using fts5(search_key, content='', contentless_delete=1,
    tokenize='trigram case_sensitive 1')`.execute(db);
  await sql`create trigger groups_trgm_insert after insert on groups begin
    insert or ignore into group_text_keys (group_id) values (new.id);
    insert into groups_trgm (rowid, search_key)
      select key, new.search_key from group_text_keys where group_id = new.id;
  end`.execute(db);
  await sql`create trigger groups_trgm_update after update of id, search_key on groups
    when old.id is not new.id or old.search_key is not new.search_key
  begin
    delete from groups_trgm where rowid = (select key from group_text_keys where group_id = old.id);
    update group_text_keys set group_id = new.id where group_id = old.id and old.id is not new.id;
    insert or ignore into group_text_keys (group_id) values (new.id);
    insert into groups_trgm (rowid, search_key)
      select key, new.search_key from group_text_keys where group_id = new.id;
  end`.execute(db);
  await sql`create trigger groups_trgm_delete after delete on groups begin
    delete from groups_trgm where rowid = (select key from group_text_keys where group_id = old.id);
    delete from group_text_keys where group_id = old.id;
  end`.execute(db);
  // Groups already there.
  await sql`insert into group_text_keys (group_id) select id from groups order by id`.execute(db);
  await sql`insert into groups_trgm (rowid, search_key)
    select k.key, g.search_key from groups g join group_text_keys k on k.group_id = g.id`.execute(db);
}

async function upPostgres(db: Kysely<unknown>): Promise<void> {
  await sql`alter table groups alter column search_key type text collate "C"`.execute(db);
  await sql`create index groups_name_key on groups ((split_part(search_key, ' | ', 1)))`.execute(db);
  // The migrator runs in a transaction: a failed CREATE EXTENSION must not abort it.
  let kind: "pg_trgm" | "none" = "pg_trgm";
  await sql`savepoint search_extension`.execute(db);
  try {
    await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`release savepoint search_extension`.execute(db);
  } catch {
    await sql`rollback to savepoint search_extension`.execute(db);
    kind = "none";
  }
  if (kind === "pg_trgm")
    await sql`create index groups_trgm on groups using gin (search_key gin_trgm_ops)`.execute(db);
  await sql`insert into meta (key, value) values ('search_index', ${kind})
    on conflict (key) do update set value = excluded.value`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`drop index if exists groups_trgm`.execute(db);
    await sql`drop index if exists groups_name_key`.execute(db);
    await sql`alter table groups alter column search_key type text collate "default"`.execute(db);
    await sql`delete from meta where key = 'search_index'`.execute(db);
    return;
  }
  for (const t of ["groups_trgm_delete", "groups_trgm_update", "groups_trgm_insert"])
    await sql`drop trigger if exists ${sql.id(t)}`.execute(db);
  await sql`drop table if exists groups_trgm`.execute(db);
  await sql`drop table if exists group_text_keys`.execute(db);
  await sql`drop index if exists groups_name_key`.execute(db);
}
