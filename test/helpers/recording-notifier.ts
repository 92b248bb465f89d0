import type { RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import type { Notifier, SendResult } from "../../src/alerts/notifier.js";

export interface Post {
  channelId: string;
  messageId: string;
  nonce: string;
  message: RESTPostAPIChannelMessageJSONBody;
}

type Failure = Extract<SendResult, { ok: false }>;

/**
 * A Discord stand-in that records what was posted. Like Discord with `enforce_nonce`, a repeated
 * nonce returns the message already created instead of posting again: `calls` counts every send,
 * `posts` only the messages that would appear in a channel.
 */
export class RecordingNotifier implements Notifier {
  readonly posts: Post[] = [];
  readonly calls: { channelId: string; nonce: string }[] = [];
  readonly edits: { channelId: string; messageId: string; message: RESTPostAPIChannelMessageJSONBody }[] = [];
  /** Delay before each send answers (to let concurrent dispatchers interleave). */
  delayMs = 0;
  private nextId = 1000;
  private readonly byNonce = new Map<string, string>();
  private readonly failures = new Map<string, { failure: Failure; times: number }>();
  private inFlight = 0;
  maxInFlight = 0;

  /** Every send to this channel fails for good (a deleted channel, say). */
  failPermanently(channelId: string, code: Failure["code"] = "unknown_channel"): void {
    this.failures.set(channelId, {
      failure: { ok: false, permanent: true, code, message: `Discord says ${code}` },
      times: Number.POSITIVE_INFINITY,
    });
  }

  /** The next `times` sends to this channel fail with a passing error. */
  failTransiently(channelId: string, times = 1, extra: Partial<Failure> = {}): void {
    this.failures.set(channelId, {
      failure: { ok: false, permanent: false, code: "server", message: "503 Service Unavailable", ...extra },
      times,
    });
  }

  heal(channelId: string): void {
    this.failures.delete(channelId);
  }

  postsTo(channelId: string): Post[] {
    return this.posts.filter((p) => p.channelId === channelId);
  }

  async send(
    channelId: string,
    message: RESTPostAPIChannelMessageJSONBody,
    nonce: string,
  ): Promise<SendResult> {
    this.calls.push({ channelId, nonce });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      const f = this.failures.get(channelId);
      if (f && f.times > 0) {
        f.times--;
        return f.failure;
      }
      const seen = this.byNonce.get(`${channelId}/${nonce}`);
      if (seen) return { ok: true, messageId: seen };
      const messageId = String(this.nextId++);
      this.byNonce.set(`${channelId}/${nonce}`, messageId);
      this.posts.push({ channelId, messageId, nonce, message });
      return { ok: true, messageId };
    } finally {
      this.inFlight--;
    }
  }

  async edit(
    channelId: string,
    messageId: string,
    message: RESTPostAPIChannelMessageJSONBody,
  ): Promise<SendResult> {
    if (!this.posts.some((p) => p.channelId === channelId && p.messageId === messageId)) {
      return { ok: false, permanent: true, code: "unknown_message", message: "Unknown Message" };
    }
    this.edits.push({ channelId, messageId, message });
    return { ok: true, messageId };
  }
}
