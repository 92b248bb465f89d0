import { type Kysely, PostgresAdapter, sql } from "kysely";

/**
 * A spatial index over the groups that have a place, so `near` reads only the groups in a box
 * around the user's place, never the whole table. Which one depends on the engine (see spatial.ts):
 *
 * SQLite: an R*Tree (bundled with better-sqlite3) with a third dimension "alive" (0 or 1), so
 * "nearest alive group" is a box query of its own and costs nothing when no group is alive.
 * R*Tree ids are integers and groups.id is text, and VACUUM may renumber a table's implicit rowids,
 * so a small key table maps each group to a stable integer. Triggers keep both in step with every
 * write to groups (sync, scans, a copy by migrate-to), so no query has to remember them.
 *
 * PostgreSQL: GiST indexes on ll_to_earth(lat, lon) (contrib's cube + earthdistance), one partial
 * index for the listed groups and one for the alive ones. Where the extensions can't be created
 * (no contrib, no rights), plain btree (lat, lon) indexes instead; meta.spatial_index says which.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await upPostgres(db);
    return;
  }
  await sql`create table group_geo_keys (key integer primary key, group_id text not null unique)`.execute(db);
  await sql`create virtual table groups_geo using rtree(key, min_lat, max_lat, min_lon, max_lon, min_alive, max_alive)`.execute(
    db,
  );
  const located = (row: "new" | "old") =>
    sql.raw(`${row}.lat is not null and ${row}.lon is not null and ${row}.removed_at is null`);
  const insertNew = sql`
    insert into groups_geo
      select k.key, new.lat, new.lat, new.lon, new.lon,
             case when new.status = 'alive' then 1 else 0 end, case when new.status = 'alive' then 1 else 0 end
      from group_geo_keys k where k.group_id = new.id and ${located("new")};`;
  await sql`create trigger groups_geo_insert after insert on groups begin
    insert or ignore into group_geo_keys (group_id) values (new.id);
    ${insertNew}
  end`.execute(db);
  await sql`create trigger groups_geo_update after update of id, lat, lon, removed_at, status on groups
    when old.id is not new.id or old.lat is not new.lat or old.lon is not new.lon
      or old.removed_at is not new.removed_at or old.status is not new.status
  begin
    delete from groups_geo where key = (select key from group_geo_keys where group_id = old.id);
    update group_geo_keys set group_id = new.id where group_id = old.id and old.id is not new.id;
    insert or ignore into group_geo_keys (group_id) values (new.id);
    ${insertNew}
  end`.execute(db);
  await sql`create trigger groups_geo_delete after delete on groups begin
    delete from groups_geo where key = (select key from group_geo_keys where group_id = old.id);
    delete from group_geo_keys where group_id = old.id;
  end`.execute(db);
  // Groups already there.
  await sql`insert into group_geo_keys (group_id) select id from groups`.execute(db);
  await sql`insert into groups_geo
    select k.key, g.lat, g.lat, g.lon, g.lon,
           case when g.status = 'alive' then 1 else 0 end, case when g.status = 'alive' then 1 else 0 end
    from groups g join group_geo_keys k on k.group_id = g.id
    where g.lat is not null and g.lon is not null and g.removed_at is null`.execute(db);
}

async function upPostgres(db: Kysely<unknown>): Promise<void> {
  // The migrator runs in a transaction: a failed CREATE EXTENSION must not abort it.
  let kind: "earthdistance" | "btree" = "earthdistance";
  await sql`savepoint spatial_extensions`.execute(db);
  try {
    await sql`create extension if not exists cube`.execute(db);
    await sql`create extension if not exists earthdistance`.execute(db);
    await sql`release savepoint spatial_extensions`.execute(db);
  } catch {
    await sql`rollback to savepoint spatial_extensions`.execute(db);
    kind = "btree";
  }
  const located = sql.raw("lat is not null and lon is not null and removed_at is null");
  if (kind === "earthdistance") {
    await sql`create index groups_geo on groups using gist (ll_to_earth(lat, lon)) where ${located}`.execute(
      db,
    );
    await sql`create index groups_geo_alive on groups using gist (ll_to_earth(lat, lon))
      where ${located} and status = 'alive'`.execute(db);
  } else {
    await sql`create index groups_geo on groups (lat, lon) where ${located}`.execute(db);
    await sql`create index groups_geo_alive on groups (lat, lon) where ${located} and status = 'alive'`.execute(
      db,
    );
  }
  await sql`insert into meta (key, value) values ('spatial_index', ${kind})
    on conflict (key) do update set value = excluded.value`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`drop index if exists groups_geo_alive`.execute(db);
    await sql`drop index if exists groups_geo`.execute(db);
    await sql`delete from meta where key = 'spatial_index'`.execute(db);
    return;
  }
  for (const t of ["groups_geo_delete", "groups_geo_update", "groups_geo_insert"])
    await sql`drop trigger if exists ${sql.id(t)}`.execute(db);
  await sql`drop table if exists groups_geo`.execute(db);
  await sql`drop table if exists group_geo_keys`.execute(db);
}
