import pino, { type Logger, type LoggerOptions } from "pino";

export type { Logger };

/** Interaction and webhook tokens travel inside Discord's URLs (`/interactions/<id>/<token>/callback`). */
const URL_TOKENS = /\/(interactions|webhooks)\/(\d+)\/[A-Za-z0-9_.-]{20,}/g;

/** An error as we log it: what failed and how, never the request (its URL and body carry tokens). */
function errorSerializer(err: unknown) {
  const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  for (const k of ["url", "requestBody", "rawError", "request", "config", "headers"]) delete out[k];
  return out;
}

/** Structured logs to stderr; tokens are redacted wherever they could appear. */
export function createLogger(level: string, secrets: readonly (string | undefined)[] = []): Logger {
  const hidden = secrets.filter((s): s is string => typeof s === "string" && s.length >= 8);
  const options: LoggerOptions = {
    level,
    redact: { paths: ["token", "*.token", "headers.authorization"], censor: "[redacted]" },
    serializers: { err: errorSerializer },
    hooks: {
      streamWrite(line) {
        let out = line.replace(URL_TOKENS, "/$1/$2/[redacted]");
        for (const s of hidden) out = out.split(s).join("[redacted]");
        return out;
      },
    },
  };
  return pino(options, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: "silent" });
