import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  extractActivity,
  mergeActivity,
  parseIcalDate,
  parseIsoDate,
  recurrenceAround,
  unescapeIcalText,
  unfoldIcal,
  zonedTimeToUtc,
} from "../../src/liveness/activity.js";
import { html } from "../helpers/probe-result.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/pages/${name}`, import.meta.url), "utf8");
const iso = (d: Date | null) => d?.toISOString() ?? null;
const at = (s: string) => new Date(s);

const MEETUP_URL = "https://www.meetup.com/python-users-group-zurich/";

describe("extractActivity on the Meetup group fixture", () => {
  const body = fixture("meetup-group.html");

  it("finds the past event and the next upcoming one", () => {
    const a = extractActivity({
      body,
      contentType: "text/html",
      url: MEETUP_URL,
      now: at("2026-11-01T00:00:00Z"),
    });
    expect(iso(a.lastActivityAt)).toBe("2026-09-17T16:30:00.000Z");
    expect(iso(a.nextEventAt)).toBe("2026-12-10T17:30:00.000Z");
    expect(a.sources).toEqual(expect.arrayContaining(["json-ld", "time"]));
    expect(a.feeds).toEqual(["https://www.meetup.com/python-users-group-zurich/events/ical/"]);
  });

  it("has only past events once they are over", () => {
    const a = extractActivity({
      body,
      contentType: "text/html",
      url: MEETUP_URL,
      now: at("2028-06-01T00:00:00Z"),
    });
    expect(iso(a.lastActivityAt)).toBe("2027-01-14T17:00:00.000Z");
    expect(a.nextEventAt).toBeNull();
  });

  it("does not take the footer's copyright year for activity", () => {
    const footerOnly = html({
      title: "PyFoo",
      body: "<p>Welcome</p><footer>© 2026 PyFoo · Updated 2026</footer>",
    });
    const a = extractActivity({
      body: footerOnly,
      contentType: "text/html",
      url: "https://pyfoo.org/",
      now: at("2026-11-01"),
    });
    expect(a).toEqual({ lastActivityAt: null, nextEventAt: null, feeds: [], sources: [] });
  });
});

describe("iCalendar", () => {
  it("converts the fixture's Europe/Zurich times to the right UTC instants", () => {
    const body = fixture("meetup-events.ics");
    const soon = extractActivity({
      body,
      contentType: "text/calendar",
      url: "https://x/ical",
      now: at("2026-11-01T00:00:00Z"),
    });
    expect(iso(soon.nextEventAt)).toBe("2026-12-10T17:30:00.000Z");
    expect(soon.lastActivityAt).toBeNull(); // the VTIMEZONE's 1970 DTSTART is not an event
    expect(soon.sources).toEqual(["ical"]);
    const later = extractActivity({
      body,
      contentType: null,
      url: "https://x/ical",
      now: at("2027-02-01T00:00:00Z"),
    });
    expect(iso(later.lastActivityAt)).toBe("2027-01-14T17:00:00.000Z");
    expect(later.nextEventAt).toBeNull();
  });

  it("reads folded lines, summer time, UTC, floating and all-day forms, and skips cancelled events", () => {
    const ics = [
      "BEGIN:VCALENDAR",
      "BEGIN:VEVENT",
      "DTSTART;TZID=Europe/Zu",
      " rich:20260715T190000",
      "SUMMARY:Summer talks",
      "END:VEVENT",
      "BEGIN:VEVENT",
      'DTSTART;TZID="America/New_York":20260120T183000',
      "END:VEVENT",
      "BEGIN:VEVENT",
      "DTSTART;VALUE=DATE:20260301",
      "DESCRIPTION:Fake line\\nDTSTART:20300101T000000Z\\, not real",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "DTSTART:20260410T170000Z",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "DTSTART:20261010T170000Z",
      "STATUS:CANCELLED",
      "END:VEVENT",
      "END:VCALENDAR",
      "",
    ].join("\r\n");
    const a = extractActivity({
      body: ics,
      contentType: "text/calendar; charset=utf-8",
      url: "https://x/",
      now: at("2026-09-01T00:00:00Z"),
    });
    expect(iso(a.lastActivityAt)).toBe("2026-07-15T17:00:00.000Z");
    expect(a.nextEventAt).toBeNull();
    const earlier = extractActivity({
      body: ics,
      contentType: "text/calendar",
      url: "https://x/",
      now: at("2026-02-01T00:00:00Z"),
    });
    expect(iso(earlier.lastActivityAt)).toBe("2026-01-20T23:30:00.000Z");
    expect(iso(earlier.nextEventAt)).toBe("2026-03-01T00:00:00.000Z");
  });

  it("parses DTSTART forms exactly", () => {
    expect(iso(parseIcalDate("20261210T183000", { TZID: "Europe/Zurich" }))).toBe("2026-12-10T17:30:00.000Z");
    expect(iso(parseIcalDate("20260715T183000", { TZID: "Europe/Zurich" }))).toBe("2026-07-15T16:30:00.000Z");
    expect(iso(parseIcalDate("20260715T090000", { TZID: "Asia/Kolkata" }))).toBe("2026-07-15T03:30:00.000Z");
    expect(iso(parseIcalDate("20261210T183000Z"))).toBe("2026-12-10T18:30:00.000Z");
    expect(iso(parseIcalDate("20261210", { VALUE: "DATE" }))).toBe("2026-12-10T00:00:00.000Z");
    // Outlook-style zone path: the IANA name at its end is used.
    expect(iso(parseIcalDate("20261210T183000", { TZID: "/mozilla.org/20070129_1/Europe/Zurich" }))).toBe(
      "2026-12-10T17:30:00.000Z",
    );
    // An unknown zone costs hours, not the event.
    expect(iso(parseIcalDate("20261210T183000", { TZID: "W. Europe Standard Time" }))).toBe(
      "2026-12-10T18:30:00.000Z",
    );
    expect(parseIcalDate("20261332T000000")).toBeNull();
  });

  it("converts wall time to UTC across daylight-saving changes", () => {
    // Zurich springs forward on 2026-03-29 at 02:00; the day before is +01:00, the day after +02:00.
    expect(new Date(zonedTimeToUtc(Date.UTC(2026, 2, 28, 12, 0), "Europe/Zurich")!).toISOString()).toBe(
      "2026-03-28T11:00:00.000Z",
    );
    expect(new Date(zonedTimeToUtc(Date.UTC(2026, 2, 30, 12, 0), "Europe/Zurich")!).toISOString()).toBe(
      "2026-03-30T10:00:00.000Z",
    );
    expect(zonedTimeToUtc(0, "Not/AZone")).toBeNull();
  });

  it("unfolds and unescapes", () => {
    expect(unfoldIcal("A:one\r\n two\r\n\tthree\r\nB:x")).toEqual(["A:onetwothree", "B:x"]);
    expect(unescapeIcalText("a\\, b\\nc\\;d\\\\e")).toBe("a, b\nc;d\\e");
  });

  it("follows recurring events to the occurrences around now", () => {
    const start = Date.UTC(2019, 0, 10, 18, 0);
    const monthly = recurrenceAround(start, "FREQ=MONTHLY;BYDAY=2TH", Date.UTC(2026, 10, 1));
    expect(monthly.map((t) => new Date(t).toISOString())).toEqual([
      "2026-10-10T18:00:00.000Z",
      "2026-11-10T18:00:00.000Z",
    ]);
    const weekly = recurrenceAround(start, "FREQ=WEEKLY;INTERVAL=2", Date.UTC(2019, 0, 30));
    expect(weekly.map((t) => new Date(t).toISOString())).toEqual([
      "2019-01-24T18:00:00.000Z",
      "2019-02-07T18:00:00.000Z",
    ]);
    const ended = recurrenceAround(start, "FREQ=MONTHLY;UNTIL=20200101T000000Z", Date.UTC(2026, 10, 1));
    expect(ended.map((t) => new Date(t).toISOString())).toEqual(["2019-12-10T18:00:00.000Z"]);
    const counted = recurrenceAround(start, "FREQ=WEEKLY;COUNT=3", Date.UTC(2026, 10, 1));
    expect(counted.map((t) => new Date(t).toISOString())).toEqual(["2019-01-24T18:00:00.000Z"]);
    expect(recurrenceAround(start, "FREQ=WEEKLY", Date.UTC(2018, 0, 1))).toEqual([start]);
  });

  it("treats a calendar with a forgotten 2019 series that ended as old, and a live one as upcoming", () => {
    const cal = (rrule: string) =>
      `BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20190110T180000Z\nRRULE:${rrule}\nEND:VEVENT\nEND:VCALENDAR\n`;
    const now = at("2026-11-01T00:00:00Z");
    const ended = extractActivity({
      body: cal("FREQ=MONTHLY;COUNT=6"),
      contentType: null,
      url: "https://x/",
      now,
    });
    expect(iso(ended.lastActivityAt)).toBe("2019-06-10T18:00:00.000Z");
    expect(ended.nextEventAt).toBeNull();
    const live = extractActivity({ body: cal("FREQ=MONTHLY"), contentType: null, url: "https://x/", now });
    expect(iso(live.nextEventAt)).toBe("2026-11-10T18:00:00.000Z");
  });
});

describe("schema.org JSON-LD", () => {
  const now = at("2026-11-01T00:00:00Z");
  const ld = (json: string) => `<script type="application/ld+json">${json}</script>`;

  it("walks @graph, arrays and nesting, and knows Event subtypes", () => {
    const body = html({
      title: "PyFoo",
      head: [
        ld(
          JSON.stringify({
            "@context": "https://schema.org",
            "@graph": [
              { "@type": "WebSite", dateModified: "2026-10-30T00:00:00Z" },
              {
                "@type": "Organization",
                foundingDate: "2012-01-01",
                event: [
                  { "@type": "SocialEvent", startDate: "2026-06-05T19:00:00+02:00" },
                  { "@type": ["EducationEvent"], startDate: "2026-11-20" },
                ],
              },
            ],
          }),
        ),
        ld(JSON.stringify([{ "@type": "Hackathon", startDate: "2026-12-05T09:00" }])),
        ld('{"@type": "Event", "startDate": "2026-11-03T18:00:00Z", oops}'),
        ld(
          JSON.stringify({
            "@type": "Event",
            startDate: "2026-10-01T18:00:00Z",
            eventStatus: "https://schema.org/EventCancelled",
          }),
        ),
        ld(JSON.stringify({ "@type": "BlogPosting", datePublished: "2026-07-01T08:00:00Z" })),
      ].join(""),
    });
    const a = extractActivity({ body, contentType: "text/html", url: "https://pyfoo.org/", now });
    expect(iso(a.lastActivityAt)).toBe("2026-07-01T08:00:00.000Z");
    expect(iso(a.nextEventAt)).toBe("2026-11-20T00:00:00.000Z");
    expect(a.sources).toEqual(["json-ld"]);
  });

  it("ignores absurd dates", () => {
    const body = html({
      head: [
        ld(JSON.stringify({ "@type": "Event", startDate: "1990-05-01" })),
        ld(JSON.stringify({ "@type": "Event", startDate: "2031-05-01" })),
      ].join(""),
      body: '<time datetime="2026">2026</time><time datetime="18:30">6:30</time>',
    });
    const a = extractActivity({ body, contentType: "text/html", url: "https://pyfoo.org/", now });
    expect(a.lastActivityAt).toBeNull();
    expect(a.nextEventAt).toBeNull();
  });
});

describe("RSS and Atom", () => {
  const now = at("2026-11-01T00:00:00Z");

  it("reads RSS item dates but not the channel's build date", () => {
    const rss = `<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
      <title>PyFoo</title><lastBuildDate>Sat, 31 Oct 2026 10:00:00 GMT</lastBuildDate>
      <item><title>May meetup</title><pubDate>Tue, 05 May 2026 18:30:00 +0200</pubDate></item>
      <item><title>March meetup</title><dc:date>2026-03-03T18:30:00Z</dc:date></item>
    </channel></rss>`;
    const a = extractActivity({
      body: rss,
      contentType: "application/rss+xml",
      url: "https://pyfoo.org/feed",
      now,
    });
    expect(iso(a.lastActivityAt)).toBe("2026-05-05T16:30:00.000Z");
    expect(a.sources).toEqual(["rss"]);
  });

  it("reads Atom entries but not the feed's own updated", () => {
    const atom = `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
      <title>PyFoo</title><updated>2026-10-31T00:00:00Z</updated>
      <entry><title>Post</title><published>2025-12-01T10:00:00+01:00</published><updated>2026-01-02T10:00:00Z</updated></entry>
    </feed>`;
    const a = extractActivity({
      body: atom,
      contentType: "application/xml",
      url: "https://pyfoo.org/atom.xml",
      now,
    });
    expect(iso(a.lastActivityAt)).toBe("2026-01-02T10:00:00.000Z");
    expect(a.sources).toEqual(["atom"]);
  });
});

describe("feed links", () => {
  it("collects linked calendars and feeds as absolute URLs, calendars first", () => {
    const body = html({
      head: '<base href="https://pyfoo.org/site/"><link rel="alternate" type="application/rss+xml" href="feed.xml"><link rel="alternate" type="application/atom+xml" href="/atom.xml"><link rel="stylesheet" href="x.css">',
      body: '<a href="webcal://calendar.example.com/pyfoo.ics">Subscribe</a><a href="/events.ics?x=1">iCal</a><a href="/about">About</a>',
    });
    const a = extractActivity({
      body,
      contentType: "text/html",
      url: "https://pyfoo.org/",
      now: at("2026-11-01"),
    });
    expect(a.feeds).toEqual([
      "https://calendar.example.com/pyfoo.ics",
      "https://pyfoo.org/events.ics?x=1",
      "https://pyfoo.org/site/feed.xml",
      "https://pyfoo.org/atom.xml",
    ]);
  });
});

describe("helpers", () => {
  it("parses ISO dates with and without zones", () => {
    expect(iso(parseIsoDate("2026-12-10T18:30:00+01:00"))).toBe("2026-12-10T17:30:00.000Z");
    expect(iso(parseIsoDate("2026-12-10T18:30:00.123-0500"))).toBe("2026-12-10T23:30:00.000Z");
    expect(iso(parseIsoDate("2026-12-10 18:30"))).toBe("2026-12-10T18:30:00.000Z");
    expect(iso(parseIsoDate("2026-12-10"))).toBe("2026-12-10T00:00:00.000Z");
    expect(parseIsoDate("2026-02-31")).toBeNull();
    expect(parseIsoDate("next Tuesday")).toBeNull();
  });

  it("merges page and feed evidence", () => {
    const m = mergeActivity(
      { lastActivityAt: at("2026-01-01"), nextEventAt: at("2026-12-01"), feeds: ["a"], sources: ["time"] },
      null,
      {
        lastActivityAt: at("2026-03-01"),
        nextEventAt: at("2026-11-15"),
        feeds: ["a", "b"],
        sources: ["ical"],
      },
    );
    expect(iso(m.lastActivityAt)).toBe("2026-03-01T00:00:00.000Z");
    expect(iso(m.nextEventAt)).toBe("2026-11-15T00:00:00.000Z");
    expect(m.feeds).toEqual(["a", "b"]);
    expect(m.sources).toEqual(["time", "ical"]);
  });
});

describe("dates written in the page's text", () => {
  const now = new Date("2026-11-01T00:00:00Z");
  const read = (body: string) =>
    extractActivity({
      body: `<html><body>${body}</body></html>`,
      contentType: "text/html",
      url: "https://py.example/",
      now,
    });

  it("reads a date near 'next meetup' or 'Treffen', in the page's language", () => {
    expect(
      read("<p>Our next meetup is on Thursday 10 December 2026 at 18:30.</p>").nextEventAt?.toISOString(),
    ).toMatch(/^2026-12-10/);
    const de = extractActivity({
      body: '<html lang="de"><body><p>Letztes Treffen: 14. März 2019 im Café.</p></body></html>',
      contentType: "text/html",
      url: "https://py.example/",
      now,
    });
    expect(de.lastActivityAt?.toISOString()).toMatch(/^2019-03-14/);
    expect(de.sources).toEqual(["text"]);
  });

  it("ignores a year in a copyright footer and dates far from meeting words", () => {
    const v = read("<p>Welcome to our site.</p><footer>© 2026 PyFoo. Copyright 12 March 2026.</footer>");
    expect(v.lastActivityAt).toBeNull();
    expect(v.nextEventAt).toBeNull();
  });

  it("notices a group that says it paused", () => {
    expect(read("<p>PyFoo is on hiatus until we find a new venue.</p>").paused).toBe("on hiatus");
    expect(read("<p>Встречи приостановлены.</p>").paused).toBeTruthy();
    expect(read("<p>We meet monthly.</p>").paused).toBeUndefined();
  });
});
