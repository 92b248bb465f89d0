import pino, { type Logger, type LoggerOptions } from "pino";

export type { Logger };

/** Structured logs to stderr; the Discord token is redacted wherever it could appear. */
export function createLogger(level: string, secrets: readonly (string | undefined)[] = []): Logger {
  const hidden = secrets.filter((s): s is string => typeof s === "string" && s.length >= 8);
  const options: LoggerOptions = {
    level,
    redact: { paths: ["token", "*.token", "headers.authorization"], censor: "[redacted]" },
  };
  if (hidden.length) {
    options.hooks = {
      streamWrite(line) {
        let out = line;
        for (const s of hidden) out = out.split(s).join("[redacted]");
        return out;
      },
    };
  }
  return pino(options, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: "silent" });
