import { describe, expect, it } from "vitest";
import { channelLines, channelsText } from "../../src/present/channels.js";

describe("channels as text", () => {
  it("names each kind and keeps page order", () => {
    expect(
      channelLines([
        { kind: "meetup", url: "https://www.meetup.com/pysilesia/" },
        { kind: "mailing list", url: "https://mail.python.org/mailman/listinfo/x" },
        { kind: "strange", url: "https://x.example/" },
      ]),
    ).toEqual([
      "Meetup: https://www.meetup.com/pysilesia/",
      "Mailing list: https://mail.python.org/mailman/listinfo/x",
      "Link: https://x.example/",
    ]);
  });

  it("says nothing for no channels and caps a long list", () => {
    expect(channelsText([])).toBeNull();
    const many = Array.from({ length: 12 }, (_, i) => ({ kind: "website", url: `https://s${i}.example/` }));
    const text = channelsText(many, 10) ?? "";
    expect(text.split("\n")).toHaveLength(11);
    expect(text.endsWith("…and 2 more")).toBe(true);
  });
});
