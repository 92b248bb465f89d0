import pg from "pg";
import { openDatabase } from "../../src/db/connect.js";

/**
 * vitest globalSetup. With DATABASE_URL set, migrates one template database before any test runs;
 * each test then copies it (CREATE DATABASE ... TEMPLATE, ~0.1 s) instead of migrating its own.
 * Without DATABASE_URL it does nothing (the SQLite run).
 */
export const TEMPLATE_DATABASE = "poick_test_template";

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export default async function setup(): Promise<() => Promise<void>> {
  const url = process.env.DATABASE_URL;
  if (!url) return async () => {};
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
    await admin.query(`create database ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const db = await openDatabase(withDatabaseName(url, TEMPLATE_DATABASE));
  await db.destroy();
  return async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`drop database if exists ${TEMPLATE_DATABASE} with (force)`).finally(() => c.end());
  };
}
