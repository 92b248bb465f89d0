import type { RawOptions } from "../../src/commands/define.js";
import type { Invocation, Reply, Responder } from "../../src/commands/types.js";

/** Records what a command answered, in order — the Discord side of a command without discord.js. */
export class RecordingResponder implements Responder {
  readonly calls: {
    kind: "reply" | "defer" | "edit" | "followUp" | "update";
    reply?: Reply;
    ephemeral?: boolean;
  }[] = [];
  async reply(r: Reply) {
    this.calls.push({ kind: "reply", reply: r });
  }
  async defer(ephemeral: boolean) {
    this.calls.push({ kind: "defer", ephemeral });
  }
  async edit(r: Reply) {
    this.calls.push({ kind: "edit", reply: r });
  }
  async followUp(r: Reply) {
    this.calls.push({ kind: "followUp", reply: r });
  }
  async update(r: Reply) {
    this.calls.push({ kind: "update", reply: r });
  }
  /** The last message shown: content and embed text joined. */
  get last(): Reply | undefined {
    return [...this.calls].reverse().find((c) => c.reply)?.reply;
  }
  get text(): string {
    const r = this.last;
    if (!r) return "";
    return [
      r.content ?? "",
      ...(r.embeds ?? []).flatMap((e) => [
        e.title ?? "",
        e.description ?? "",
        ...(e.fields ?? []).map((f) => `${f.name}: ${f.value}`),
      ]),
    ].join("\n");
  }
}

/** Raw options as the router reads them, from a path ("alerts channel") and plain values. */
export function rawOptions(path: string, values: Record<string, unknown> = {}): RawOptions {
  const parts = path.split(" ");
  const [group, subcommand] = parts.length === 2 ? parts : [null, parts[0] ?? null];
  return {
    group: group ?? null,
    subcommand: subcommand ?? null,
    get: (name) =>
      name in values
        ? typeof values[name] === "object" && values[name] !== null
          ? (values[name] as { value: unknown; channelType?: number })
          : { value: values[name] }
        : null,
  };
}

export const MANAGE_GUILD = 1n << 5n;

export const member = (o: Partial<Invocation> = {}): Invocation => ({
  userId: "111111111111111111",
  guildId: "222222222222222222",
  channelId: "333333333333333333",
  permissions: 0n,
  ...o,
});
export const admin = (o: Partial<Invocation> = {}) => member({ permissions: MANAGE_GUILD, ...o });
