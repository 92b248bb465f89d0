import { STATUS_COLOR, STATUSES, type Status } from "../../liveness/status.js";

/** The status colours of liveness/status.ts as CSS hex, for SVG. */
export const STATUS_CSS: Readonly<Record<Status, string>> = Object.fromEntries(
  STATUSES.map((s) => [s, `#${STATUS_COLOR[s].toString(16).padStart(6, "0")}`]),
) as Record<Status, string>;

export { STATUSES };
