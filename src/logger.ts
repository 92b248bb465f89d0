import pino, { type Logger } from "pino";

export type { Logger };

/** Structured logs to stderr; the Discord token is redacted wherever it could appear. */
export function createLogger(level: string, secrets: readonly (string | undefined)[] = []): Logger {
  const hidden = secrets.filter((s): s is string => typeof s === "string" && s.length >= 8);
  return pino(
    {
      level,
      redact: {
        paths: ["token", "*.token", "config.discord.token", "headers.authorization"],
        censor: "[redacted]",
      },
      hooks: hidden.length
        ? {
            streamWrite(line) {
              let out = line;
              for (const s of hidden) out = out.split(s).join("[redacted]");
              return out;
            },
          }
        : undefined,
    },
    pino.destination(2),
  );
}

export const silentLogger: Logger = pino({ level: "silent" });
