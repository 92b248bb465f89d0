// Letters that NFKD does not split into a base letter plus a combining mark.
const SPECIAL_LETTERS: Record<string, string> = {
  ł: "l",
  Ł: "l",
  ø: "o",
  Ø: "o",
  ß: "ss",
  ẞ: "ss",
  æ: "ae",
  Æ: "ae",
  œ: "oe",
  Œ: "oe",
  đ: "d",
  Đ: "d",
  ð: "d",
  Ð: "d",
  þ: "th",
  Þ: "th",
  ı: "i",
  ħ: "h",
  Ħ: "h",
  ŧ: "t",
  Ŧ: "t",
  ŀ: "l",
  Ŀ: "l",
  ə: "e",
  Ə: "e",
};
const SPECIAL_RE = new RegExp(`[${Object.keys(SPECIAL_LETTERS).join("")}]`, "g");

// Abbreviations written both ways in place names: "St. Louis" / "Saint Louis", "Sankt Gallen" / "St. Gallen".
const WORD_FORMS: Record<string, string> = {
  st: "saint",
  sankt: "saint",
  ste: "sainte",
  mt: "mount",
  ft: "fort",
};

/** Accent-folded, lower-case, punctuation-free words of a place name. */
export function foldWords(s: string): string[] {
  const folded = s
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(SPECIAL_RE, (ch) => SPECIAL_LETTERS[ch] ?? ch)
    .toLowerCase();
  return folded.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
}

function expandWord(w: string): string {
  return WORD_FORMS[w] ?? w;
}

/**
 * The search key of a place name: accents folded (ł→l, ß→ss...), lower-case, punctuation collapsed to single
 * spaces, and "st"/"sankt" read as "saint" so "St. Louis" and "Saint Louis" meet.
 */
export function placeKey(s: string): string {
  return foldWords(s).map(expandWord).join(" ");
}

/**
 * The key prefix for text still being typed: like placeKey, but a last word that may be unfinished
 * ("st" → Stuttgart) stays as typed unless the text already moved past it ("St." or "St ").
 */
export function placePrefixKey(s: string): string {
  const words = foldWords(s);
  if (words.length === 0) return "";
  const finished = /[^\p{L}\p{N}]$/u.test(s);
  return words.map((w, i) => (i < words.length - 1 || finished ? expandWord(w) : w)).join(" ");
}
