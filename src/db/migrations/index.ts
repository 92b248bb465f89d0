import type { Migration } from "kysely";
import * as m001 from "./001_initial.js";
import * as m002 from "./002_search_and_status_index.js";
import * as m003 from "./003_channels_and_places.js";
import * as m004 from "./004_spatial_index.js";
import * as m005 from "./005_c_collation_keys.js";
import * as m006 from "./006_sync_history.js";
import * as m007 from "./007_host_rates.js";
import * as m008 from "./008_search_trigram_index.js";

/** Static list (not a folder scan) so migrations work the same from src/ and dist/. */
export const migrations: Record<string, Migration> = {
  "001_initial": m001,
  "002_search_and_status_index": m002,
  "003_channels_and_places": m003,
  "004_spatial_index": m004,
  "005_c_collation_keys": m005,
  "006_sync_history": m006,
  "007_host_rates": m007,
  "008_search_trigram_index": m008,
};
