import pg from "pg";

/** Runs `fn` on a fresh PostgreSQL database named `name` on the DATABASE_URL server, dropped afterwards. */
export async function withScratchDatabase<T>(
  server: string,
  name: string,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  const u = new URL(server);
  u.pathname = `/${name}`;
  try {
    return await fn(u.toString());
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
