import * as cheerio from "cheerio";
import { getDomain } from "tldts";

/**
 * Static sites cannot send a 301, so a moved page leaves a small HTML stub behind: a
 * `<meta http-equiv="refresh" content="0; url=...">` (often inside `<noscript>`) and/or a script
 * that sets `window.location`. A browser follows those; so do we, on the same site only.
 */
export interface HtmlRedirect {
  url: URL;
  via: "meta-refresh" | "script";
}

/** Stubs are tiny; a real page is not parsed twice for this. */
const MAX_STUB_BYTES = 64 * 1024;
/** A refresh slower than this is a page that reloads itself or a "we moved" notice, not a stub. */
const MAX_REFRESH_DELAY_S = 30;
/** "Redirecting…" and a link are fine; a page with prose of its own is not a stub. */
const MAX_STUB_TEXT = 300;

const REFRESH = /^\s*(\d+(?:\.\d*)?)?\s*[;,]?\s*(?:url\s*=\s*)?(["']?)(.*?)\2\s*$/i;
const SCRIPT_TARGET =
  /\blocation(?:\.href)?\s*=\s*(["'`])([^"'`]+)\1|\blocation\.(?:replace|assign)\(\s*(["'`])([^"'`]+)\3/;

/** Where an HTML stub sends the visitor, if `body` is one and the target is on the same site. */
export function findHtmlRedirect(body: string, pageUrl: URL): HtmlRedirect | null {
  if (body.length > MAX_STUB_BYTES || !/refresh|location/i.test(body)) return null;
  // Scripting off: <noscript> content is parsed as markup, as a browser without scripts sees it.
  const $ = cheerio.load(body, { scriptingEnabled: false });

  for (const el of $("meta[http-equiv]").toArray()) {
    if ($(el).attr("http-equiv")?.trim().toLowerCase() !== "refresh") continue;
    const m = REFRESH.exec($(el).attr("content") ?? "");
    const delay = Number(m?.[1] ?? 0);
    const target = m?.[3]?.trim();
    if (!target || delay > MAX_REFRESH_DELAY_S) continue;
    const url = resolveSameSite(target, pageUrl);
    if (url) return { url, via: "meta-refresh" };
  }

  const scripts = $("script:not([src])")
    .toArray()
    .map((el) => $(el).text());
  $("script, noscript, style, template, title").remove();
  if ($.root().text().replace(/\s+/g, " ").trim().length > MAX_STUB_TEXT) return null;
  for (const script of scripts) {
    const m = SCRIPT_TARGET.exec(script);
    const target = (m?.[2] ?? m?.[4])?.trim();
    // Only relative targets: a script that sends visitors to another host is what a takeover does.
    if (!target || /^[a-z][a-z0-9+.-]*:|^\/\//i.test(target)) continue;
    const url = resolveSameSite(target, pageUrl);
    if (url) return { url, via: "script" };
  }
  return null;
}

function resolveSameSite(target: string, pageUrl: URL): URL | null {
  let url: URL;
  try {
    url = new URL(target, pageUrl);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  url.hash = "";
  const here = new URL(pageUrl.href);
  here.hash = "";
  if (url.href === here.href) return null;
  return sameSite(pageUrl.hostname, url.hostname) ? url : null;
}

/** Same host, or the same registrable domain (apex ↔ www, subdomains). */
export function sameSite(a: string, b: string): boolean {
  const x = a.toLowerCase().replace(/\.$/, "");
  const y = b.toLowerCase().replace(/\.$/, "");
  if (x === y) return true;
  const dx = getDomain(x, { allowPrivateDomains: true });
  return dx !== null && dx === getDomain(y, { allowPrivateDomains: true });
}
