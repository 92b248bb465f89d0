import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "../../src");
const NETWORK = /^(undici|node:(https?|http2|net|tls|dns|dgram))$|^(https?|http2|net|tls|dns|dgram)$/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Every module specifier a file imports, statically or dynamically, and re-exports from. */
function specifiers(code: string): string[] {
  const found = [...code.matchAll(/(?:^|\s)(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/g)].map(
    (m) => m[1],
  );
  const bare = [...code.matchAll(/\bimport\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
  return [...found, ...bare].filter((s): s is string => !!s);
}

describe("one HTTP module", () => {
  it("only src/http talks to the network (undici, node:http(s), net, tls, dns)", () => {
    const offenders = sources(SRC)
      .filter((file) => !relative(SRC, file).startsWith("http/"))
      .flatMap((file) =>
        specifiers(readFileSync(file, "utf8"))
          .filter((s) => NETWORK.test(s))
          .map((s) => `${relative(SRC, file)} imports ${s}`),
      );
    expect(offenders).toEqual([]);
  });

  it("the scan finds an import when there is one", () => {
    expect(specifiers('import { request } from "undici";\nconst x = await import("node:dns");')).toEqual([
      "undici",
      "node:dns",
    ]);
  });
});
