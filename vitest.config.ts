import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A migrated template database when DATABASE_URL is set (PostgreSQL run); nothing otherwise.
    globalSetup: ["test/helpers/pg-template.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
