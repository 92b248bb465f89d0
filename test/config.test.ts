import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseDotEnv } from "../src/config.js";

describe("config", () => {
  it("has documented defaults", () => {
    const c = loadConfig({}, null);
    expect(c.dbPath).toBe("./data/poick.db");
    expect(c.scan.deadAfterChecks).toBe(3);
    expect(c.scan.deadAfterHours).toBe(24);
    expect(c.scan.concurrency).toBe(32);
    expect(c.scan.hostRatePerSecond).toBe(8);
    expect(c.scan.hostRateStartPerSecond).toBe(2);
    expect(c.discord.apiUrl).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("names the bad variable", () => {
    expect(() => loadConfig({ POICK_DEAD_AFTER_CHECKS: "three" }, null)).toThrow(ConfigError);
    expect(() => loadConfig({ POICK_DEAD_AFTER_CHECKS: "three" }, null)).toThrow(/POICK_DEAD_AFTER_CHECKS/);
    expect(() => loadConfig({ DISCORD_API_URL: "ftp://x" }, null)).toThrow(/DISCORD_API_URL/);
    expect(() => loadConfig({ DISCORD_APP_ID: "abc" }, null)).toThrow(/DISCORD_APP_ID/);
  });

  it("reads .env, and the environment wins", () => {
    const dir = mkdtempSync(join(tmpdir(), "poick-env-"));
    const file = join(dir, ".env");
    writeFileSync(
      file,
      "# comment\nPOICK_DB=/tmp/a.db\nexport POICK_CANARY_URLS='http://a.test/, http://b.test/'\nPOICK_LOG_LEVEL=debug # trailing\n",
    );
    const c = loadConfig({ POICK_DB: "/tmp/b.db" }, file);
    expect(c.dbPath).toBe("/tmp/b.db");
    expect(c.scan.canaryUrls).toEqual(["http://a.test/", "http://b.test/"]);
    expect(c.logLevel).toBe("debug");
  });

  it("DATABASE_URL (PostgreSQL) wins over POICK_DB, and must be a postgres:// URL", () => {
    const url = "postgres://poick:secret@db.example:5432/poick";
    expect(loadConfig({ POICK_DB: "/tmp/b.db", DATABASE_URL: url }, null).dbPath).toBe(url);
    expect(loadConfig({ POICK_DB: "/tmp/b.db", DATABASE_URL: "" }, null).dbPath).toBe("/tmp/b.db");
    expect(() => loadConfig({ DATABASE_URL: "mysql://u:pw@h/db" }, null)).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://u:pw@h/db" }, null)).not.toThrow(/pw/);
  });

  it("keeps prepared files beside the SQLite file, also when PostgreSQL holds the data", () => {
    const url = "postgres://poick:secret@db.example:5432/poick";
    expect(loadConfig({}, null).dataDir).toBe("./data");
    expect(loadConfig({ POICK_DB: "/var/lib/poick/poick.db" }, null).dataDir).toBe("/var/lib/poick");
    expect(loadConfig({ POICK_DB: "/var/lib/poick/poick.db", DATABASE_URL: url }, null).dataDir).toBe(
      "/var/lib/poick",
    );
    expect(loadConfig({ DATABASE_URL: url }, null).dataDir).toBe("./data");
    expect(loadConfig({ POICK_DB: ":memory:" }, null).dataDir).toBeNull();
    expect(loadConfig({ POICK_DB: url }, null).dataDir).toBeNull();
  });

  it("strips a trailing slash from DISCORD_API_URL", () => {
    expect(loadConfig({ DISCORD_API_URL: "http://127.0.0.1:1234/api/" }, null).discord.apiUrl).toBe(
      "http://127.0.0.1:1234/api",
    );
  });

  it("parses dotenv lines", () => {
    expect(parseDotEnv('A=1\nB="two words"\n\n#x\nbad line\nC=')).toEqual({ A: "1", B: "two words", C: "" });
  });
});
