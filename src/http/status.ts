import { STATUS_CODES } from "node:http";

/** "404 Not Found", or the bare number for a status without a name. */
export function statusText(status: number): string {
  const text = STATUS_CODES[status];
  return text ? `${status} ${text}` : String(status);
}
