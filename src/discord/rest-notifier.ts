import { DiscordAPIError, HTTPError, RateLimitError, REST, Routes } from "discord.js";
import type {
  RESTPostAPIChannelMessageJSONBody,
  RESTPostAPIChannelMessageResult,
} from "discord-api-types/v10";
import type { Notifier, SendResult } from "../alerts/notifier.js";

export interface RestNotifierOptions {
  token: string;
  /** Another API base (a test server); Discord's by default. */
  api?: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Retries of 5xx answers and timeouts inside one send. */
  retries?: number;
  /** A rate-limit wait longer than this fails the send (the outbox retries later) instead of blocking. */
  maxRateLimitWaitMs?: number;
}

/** Discord's JSON error codes we act on (https://discord.com/developers/docs/topics/opcodes-and-status-codes). */
const CODES = {
  unknownChannel: 10003,
  unknownMessage: 10008,
  missingAccess: 50001,
  missingPermissions: 50013,
};

type Failure = Extract<SendResult, { ok: false }>;

/** Maps whatever the REST client threw to a typed outcome: which failures are worth retrying. */
export function sendFailure(err: unknown): Failure {
  if (err instanceof RateLimitError) {
    return {
      ok: false,
      permanent: false,
      code: "rate_limited",
      message: err.message,
      retryAfterMs: err.retryAfter,
    };
  }
  if (err instanceof DiscordAPIError) {
    const message = `${err.status} ${err.message}`;
    switch (err.code) {
      case CODES.unknownChannel:
        return { ok: false, permanent: true, code: "unknown_channel", message };
      case CODES.unknownMessage:
        return { ok: false, permanent: true, code: "unknown_message", message };
      case CODES.missingAccess:
        return { ok: false, permanent: true, code: "missing_access", message };
      case CODES.missingPermissions:
        return { ok: false, permanent: true, code: "missing_permissions", message };
    }
    if (err.status === 429) return { ok: false, permanent: false, code: "rate_limited", message };
    if (err.status >= 500) return { ok: false, permanent: false, code: "server", message };
    // 401: our token, not the guild's fault; keep the alert until the operator fixes it.
    if (err.status === 401) return { ok: false, permanent: false, code: "other", message };
    // Any other 4xx: the same request would be refused again.
    return { ok: false, permanent: true, code: "other", message };
  }
  if (err instanceof HTTPError) {
    const message = `${err.status} ${err.message}`;
    if (err.status === 429) return { ok: false, permanent: false, code: "rate_limited", message };
    return { ok: false, permanent: false, code: err.status >= 500 ? "server" : "other", message };
  }
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const detail = [e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(": ");
  return { ok: false, permanent: false, code: "network", message: detail || String(err) };
}

/** Sends alerts through Discord's HTTP API (no gateway connection needed). */
export class RestNotifier implements Notifier {
  private readonly rest: REST;

  constructor(o: RestNotifierOptions) {
    const maxWait = o.maxRateLimitWaitMs ?? 10_000;
    this.rest = new REST({
      ...(o.api !== undefined ? { api: o.api } : {}),
      ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
      ...(o.retries !== undefined ? { retries: o.retries } : {}),
      rejectOnRateLimit: (limit) =>
        Math.max(limit.timeToReset, limit.retryAfter, limit.sublimitTimeout) > maxWait,
    }).setToken(o.token);
  }

  async send(
    channelId: string,
    message: RESTPostAPIChannelMessageJSONBody,
    nonce: string,
  ): Promise<SendResult> {
    try {
      const body = { ...message, nonce, enforce_nonce: true };
      const created = (await this.rest.post(Routes.channelMessages(channelId), {
        body,
      })) as RESTPostAPIChannelMessageResult;
      return { ok: true, messageId: created.id };
    } catch (err) {
      return sendFailure(err);
    }
  }

  async edit(
    channelId: string,
    messageId: string,
    message: RESTPostAPIChannelMessageJSONBody,
  ): Promise<SendResult> {
    try {
      const { nonce: _n, enforce_nonce: _e, message_reference: _r, ...body } = message;
      const edited = (await this.rest.patch(Routes.channelMessage(channelId, messageId), {
        body,
      })) as RESTPostAPIChannelMessageResult;
      return { ok: true, messageId: edited.id };
    } catch (err) {
      return sendFailure(err);
    }
  }

  /** Stops the client's background sweepers (for a clean exit). */
  close(): void {
    this.rest.clearHashSweeper();
    this.rest.clearHandlerSweeper();
  }
}
