import { pipeline, type Readable } from "node:stream";
import zlib from "node:zlib";
import { DeadlineError } from "./errors.js";

type Decoder = () => NodeJS.ReadWriteStream;

/** Two stacked codings (say gzip over br) happen; more is a decompression trap, not a web page. */
export const MAX_CONTENT_ENCODINGS = 2;

export type Decoders = { ok: true; decoders: Decoder[] } | { ok: false; reason: "unknown" | "hostile" };

/** The decoders for a Content-Encoding, outermost last as sent; `hostile` past two stacked codings. */
export function decodersFor(contentEncoding: string | undefined): Decoders {
  const codings = (contentEncoding ?? "")
    .toLowerCase()
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c && c !== "identity");
  if (codings.length > MAX_CONTENT_ENCODINGS) return { ok: false, reason: "hostile" };
  const decoders: Decoder[] = [];
  for (const coding of codings.reverse()) {
    // Z_SYNC_FLUSH: a body cut short (by us or the server) still yields what was decoded.
    if (coding === "gzip" || coding === "x-gzip" || coding === "deflate") {
      decoders.push(() => zlib.createUnzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH }));
    } else if (coding === "br") {
      decoders.push(() =>
        zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }),
      );
    } else {
      return { ok: false, reason: "unknown" };
    }
  }
  return { ok: true, decoders };
}

export interface BodyRead {
  bytes: Buffer;
  /** More bytes were there than `maxBytes`, or the body broke off. */
  truncated: boolean;
  error: unknown;
}

/** Reads at most `maxBytes` decoded bytes within `deadlineMs` (or until `signal`), then destroys the streams. */
export async function readCapped(
  body: Readable,
  decoders: Decoder[],
  maxBytes: number,
  deadlineMs: number,
  signal?: AbortSignal,
): Promise<BodyRead> {
  const noop = () => {};
  const stream = decoders.reduce<NodeJS.ReadableStream>(
    (source, make) => pipeline(source, make(), noop),
    body,
  ) as Readable;
  const chunks: Buffer[] = [];
  let total = 0;
  let truncated = false;
  let error: unknown = null;
  const stop = (reason: unknown) => stream.destroy(reason as Error);
  const timer = setTimeout(
    () => stop(new DeadlineError(`The body took longer than ${deadlineMs} ms.`)),
    deadlineMs,
  );
  const onAbort = () => stop(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      if (total + buf.length > maxBytes) {
        chunks.push(buf.subarray(0, maxBytes - total));
        total = maxBytes;
        truncated = true;
        break;
      }
      chunks.push(buf);
      total += buf.length;
    }
  } catch (err) {
    truncated = true;
    error = err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    discard(stream);
    discard(body);
  }
  return { bytes: Buffer.concat(chunks, total), truncated, error };
}

/** Destroys a body we will not read; undici emits an AbortError on destroy, which must not go unhandled. */
export function discard(body: Readable): void {
  body.on("error", () => {});
  body.destroy();
}
