import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { extractActivity } from "../../src/liveness/activity.js";
import { classify, type Verdict } from "../../src/liveness/classify.js";
import type { SignalLists } from "../../src/liveness/content-signals.js";
import type { Status as LivenessStatus } from "../../src/liveness/status.js";
import { probeResult } from "../helpers/probe-result.js";

/**
 * The labelled corpus (test/fixtures/pages/corpus.json): hand-made pages, each judged as the listed
 * group would be. Prints precision and recall per class; fails on the two errors that matter most
 * (a live group called dead, a takeover called alive) and when too few takeovers are caught.
 */

type PageClass =
  | "genuine"
  | "parked"
  | "for-sale"
  | "expired"
  | "suspended"
  | "hosting-default"
  | "spam"
  | "soft-404"
  | "unrelated";

interface CorpusPage {
  file: string;
  class: PageClass;
  status: LivenessStatus;
  lang: string;
  group: { name: string; url: string };
  finalUrl?: string;
}

const base = new URL("../fixtures/pages/", import.meta.url);
const corpus = JSON.parse(readFileSync(new URL("corpus.json", base), "utf8")) as {
  now: string;
  pages: CorpusPage[];
};
const NOW = new Date(corpus.now);

/** Pages someone else now owns or that only a host shows: none may ever be alive. */
const TAKEOVER: ReadonlySet<PageClass> = new Set([
  "parked",
  "for-sale",
  "expired",
  "suspended",
  "hosting-default",
  "spam",
]);

/** The class a verdict stands for, so precision can be counted per class. */
const PREDICTED: Record<string, PageClass> = {
  ok: "genuine",
  recent_activity: "genuine",
  upcoming_event: "genuine",
  no_recent_activity: "genuine",
  on_hiatus: "genuine",
  parked: "parked",
  for_sale: "for-sale",
  domain_expired: "expired",
  account_suspended: "suspended",
  hosting_default: "hosting-default",
  spam_takeover: "spam",
  soft_404: "soft-404",
  no_sign_of_group: "unrelated",
};

interface Judged {
  page: CorpusPage;
  verdict: Verdict;
}

function judgeAll(signals?: SignalLists): Judged[] {
  return corpus.pages.map((page) => {
    const body = readFileSync(new URL(page.file, base), "utf8");
    const probe = probeResult({ url: page.group.url, finalUrl: page.finalUrl ?? page.group.url, body });
    const activity = extractActivity({
      body,
      contentType: probe.contentType,
      url: probe.finalUrl ?? page.group.url,
      now: NOW,
    });
    const verdict = classify({
      groupUrl: page.group.url,
      groupName: page.group.name,
      group: { name: page.group.name, url: page.group.url },
      probe,
      activity,
      now: NOW,
      dormantAfterDays: 365,
      ...(signals ? { signals } : {}),
    });
    return { page, verdict };
  });
}

function report(title: string, judged: Judged[]): string {
  const classes = [...new Set(corpus.pages.map((p) => p.class))];
  const predicted = (j: Judged) => PREDICTED[j.verdict.reason] ?? `other:${j.verdict.reason}`;
  const lines = [`${title}`, "class            n  precision  recall  status right"];
  for (const c of classes) {
    const actual = judged.filter((j) => j.page.class === c);
    const said = judged.filter((j) => predicted(j) === c);
    const tp = actual.filter((j) => predicted(j) === c).length;
    const right = actual.filter((j) => j.verdict.status === j.page.status).length;
    const pct = (a: number, b: number) => (b === 0 ? "   —" : `${((100 * a) / b).toFixed(0).padStart(3)}%`);
    lines.push(
      `${c.padEnd(15)} ${String(actual.length).padStart(3)}  ${pct(tp, said.length).padStart(9)}  ${pct(tp, actual.length).padStart(6)}  ${right}/${actual.length}`,
    );
  }
  const wrong = judged.filter((j) => j.verdict.status !== j.page.status);
  for (const j of wrong) {
    lines.push(
      `  ✗ ${j.page.file}: expected ${j.page.status}, got ${j.verdict.status} (${j.verdict.reason})`,
    );
  }
  return lines.join("\n");
}

const good = (s: LivenessStatus) => s === "alive" || s === "dormant";
const names = (js: Judged[]) => js.map((j) => `${j.page.file} → ${j.verdict.status} (${j.verdict.reason})`);

describe("the labelled page corpus", () => {
  it("has at least 80 pages in at least 8 languages, every class represented", () => {
    expect(corpus.pages.length).toBeGreaterThanOrEqual(80);
    expect(new Set(corpus.pages.map((p) => p.lang)).size).toBeGreaterThanOrEqual(8);
    const spamLangs = new Set(corpus.pages.filter((p) => p.class === "spam").map((p) => p.lang));
    expect(spamLangs.size).toBeGreaterThanOrEqual(5);
  });

  it("with the full lists: no live group dead, no takeover alive, ≥ 90% of takeovers caught", () => {
    const judged = judgeAll();
    console.log(report("corpus, full lists", judged));
    const genuineDead = judged.filter((j) => j.page.class === "genuine" && j.verdict.status === "dead");
    expect(names(genuineDead)).toEqual([]);
    const notGenuineAlive = judged.filter((j) => j.page.class !== "genuine" && good(j.verdict.status));
    expect(names(notGenuineAlive)).toEqual([]);
    const takeovers = judged.filter((j) => TAKEOVER.has(j.page.class));
    const caught = takeovers.filter((j) => j.verdict.status === "dead");
    expect(caught.length / takeovers.length).toBeGreaterThanOrEqual(0.9);
    const right = judged.filter((j) => j.verdict.status === j.page.status);
    expect(right.length / judged.length).toBeGreaterThanOrEqual(0.97);
    for (const j of judged) expect(typeof j.verdict.evidence.why, j.page.file).toBe("string");
  });

  it("with the provider and phrase lists emptied, still catches ≥ 75% of takeovers and calls none alive", () => {
    const judged = judgeAll({ providers: [], phrases: [] });
    console.log(report("corpus, provider and phrase lists emptied", judged));
    const genuineDead = judged.filter((j) => j.page.class === "genuine" && j.verdict.status === "dead");
    expect(names(genuineDead)).toEqual([]);
    const takeovers = judged.filter((j) => TAKEOVER.has(j.page.class));
    expect(names(takeovers.filter((j) => good(j.verdict.status)))).toEqual([]);
    const caught = takeovers.filter((j) => j.verdict.status === "dead");
    expect(caught.length / takeovers.length).toBeGreaterThanOrEqual(0.75);
  });
});
