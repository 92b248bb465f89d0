import { createHash } from "node:crypto";
import type { RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";

export type SendErrorCode =
  | "unknown_channel"
  | "unknown_message"
  | "missing_permissions"
  | "missing_access"
  | "rate_limited"
  | "server"
  | "network"
  | "other";

export type SendResult =
  | { ok: true; messageId: string }
  | { ok: false; permanent: boolean; code: SendErrorCode; message: string; retryAfterMs?: number };

/** How alerts reach Discord, so nothing under src/alerts or src/jobs imports discord.js. */
export interface Notifier {
  /**
   * Posts a message. `nonce` makes a repeat harmless: Discord answers a second post with the same
   * nonce (within a few minutes) with the message it already created.
   */
  send(channelId: string, message: RESTPostAPIChannelMessageJSONBody, nonce: string): Promise<SendResult>;
  /** Replaces a message the bot posted earlier (the status board). */
  edit?(
    channelId: string,
    messageId: string,
    message: RESTPostAPIChannelMessageJSONBody,
  ): Promise<SendResult>;
}

/** Discord accepts nonces of at most 25 characters. */
export const NONCE_MAX = 25;

/** A stable nonce for an outbox key: the same key always gives the same nonce. */
export function nonceForKey(key: string): string {
  return createHash("sha256").update(key).digest("base64url").slice(0, NONCE_MAX);
}
