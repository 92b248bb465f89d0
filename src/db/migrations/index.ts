import type { Migration } from "kysely";
import * as m001 from "./001_initial.js";

/** Static list (not a folder scan) so migrations work the same from src/ and dist/. */
export const migrations: Record<string, Migration> = {
  "001_initial": m001,
};
