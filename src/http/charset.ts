import { TextDecoder } from "node:util";

export function mediaType(header: string | undefined | null): string | null {
  const essence = header?.split(";")[0]?.trim().toLowerCase();
  return essence ? essence : null;
}

function charsetParam(contentType: string | undefined): string | null {
  const m = /;\s*charset\s*=\s*["']?([^;"'\s]+)/i.exec(contentType ?? "");
  return m?.[1] ?? null;
}

function bomCharset(bytes: Buffer): string | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  return null;
}

/** `<meta charset>`, `<meta http-equiv content="...; charset=">` or an XML declaration near the start. */
export function sniffCharset(bytes: Buffer): string | null {
  const head = bytes.subarray(0, 4096).toString("latin1");
  const xml = /^\s*<\?xml[^>]*?encoding\s*=\s*["']([\w.:+-]+)["']/i.exec(head);
  if (xml) return xml[1] as string;
  const meta = /<meta[^>]*?charset\s*=\s*["']?\s*([\w.:+-]+)/i.exec(head);
  if (!meta) return null;
  // A meta tag claiming UTF-16 is read as UTF-8 (the bytes that said so were ASCII).
  return /^utf-?16/i.test(meta[1] as string) ? "utf-8" : (meta[1] as string);
}

function textDecoder(label: string | null): TextDecoder {
  if (label) {
    try {
      return new TextDecoder(label);
    } catch {
      // unknown label: utf-8 below
    }
  }
  return new TextDecoder("utf-8");
}

/**
 * Decodes body bytes: BOM, then the Content-Type charset, then a sniffed meta/XML charset (not for
 * JSON), else UTF-8. Node's TextDecoder (full ICU) knows every WHATWG encoding label.
 */
export function decodeText(bytes: Buffer, contentTypeHeader: string | undefined, truncated = false): string {
  const isJson = /json$/.test(mediaType(contentTypeHeader) ?? "");
  const label =
    bomCharset(bytes) ?? charsetParam(contentTypeHeader) ?? (isJson ? "utf-8" : sniffCharset(bytes));
  // stream: true drops a multi-byte character cut in half by the size cap.
  return textDecoder(label).decode(bytes, { stream: truncated });
}
