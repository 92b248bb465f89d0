import {
  type APIApplicationCommandSubcommandOption,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  ApplicationCommandOptionType as T,
} from "discord-api-types/v10";
import type { Choice, CommandDeps, Invocation, Responder } from "./types.js";

/** Deeply readonly, so a definition written `as const` still satisfies Discord's API type. */
export type DeepReadonly<X> = X extends (...args: never[]) => unknown
  ? X
  : X extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : X extends object
      ? { readonly [K in keyof X]: DeepReadonly<X[K]> }
      : X;

/** A slash command's definition, exactly as it is registered with Discord. */
export type CommandData = DeepReadonly<RESTPostAPIChatInputApplicationCommandsJSONBody>;
type Opt = {
  readonly type: T;
  readonly name: string;
  readonly required?: boolean;
  readonly options?: readonly Opt[];
};

/** The value a handler gets for one declared option (null when optional and not given). */
type ValueOf<O> = O extends { type: T.String }
  ? string
  : O extends { type: T.Integer | T.Number }
    ? number
    : O extends { type: T.Boolean }
      ? boolean
      : O extends { type: T.Channel }
        ? { id: string; type: number }
        : O extends { type: T.User | T.Role | T.Mentionable | T.Attachment }
          ? string
          : never;

type OptionsOf<S> = S extends { readonly options: readonly (infer O)[] } ? O : never;

/** `{ place: string; radius_km: number | null }` from a subcommand's declared options. */
export type ArgsOf<S> = {
  [O in OptionsOf<S> as O extends { name: infer N extends string } ? N : never]: O extends { required: true }
    ? ValueOf<O>
    : ValueOf<O> | null;
};

/** Every routable leaf: "near", "alerts channel", … with the subcommand that declares it. */
type Leaf<S, Prefix extends string = ""> =
  OptionsOf<S> extends infer O
    ? O extends { type: T.Subcommand; name: infer N extends string }
      ? { path: `${Prefix}${N}`; sub: O }
      : O extends { type: T.SubcommandGroup; name: infer N extends string }
        ? Leaf<O, `${N} `>
        : never
    : never;

export type Routes<D> = { [L in Leaf<D> as L["path"]]: ArgsOf<L["sub"]> };

export interface CommandContext {
  deps: CommandDeps;
  inv: Invocation;
}

export type Handlers<D> = {
  [P in keyof Routes<D>]: (ctx: CommandContext, args: Routes<D>[P], res: Responder) => Promise<void>;
};

/** How the router reads one raw option (discord.js in the bot, a plain object in tests). */
export interface RawOptions {
  subcommand: string | null;
  group: string | null;
  get(name: string): { value: unknown; channelType?: number } | null;
}

export interface SlashCommand {
  readonly data: CommandData;
  /** The declared leaf paths ("near", "alerts channel"), for the router and its test. */
  readonly routes: readonly string[];
  readonly handled: readonly string[];
  /** Checked before any handler runs (permissions, guild-only); throws a UserError to refuse. */
  run(deps: CommandDeps, inv: Invocation, raw: RawOptions, res: Responder): Promise<void>;
  autocomplete?(
    deps: CommandDeps,
    inv: Invocation,
    raw: RawOptions,
    focused: { name: string; value: string },
  ): Promise<Choice[]>;
}

export class UnroutedError extends Error {
  override name = "UnroutedError";
}

/** Declared leaves of a definition, read from the data itself. */
export function leavesOf(data: CommandData): Map<string, readonly Opt[]> {
  const out = new Map<string, readonly Opt[]>();
  const walk = (opts: readonly Opt[] | undefined, prefix: string) => {
    for (const o of opts ?? []) {
      if (o.type === T.Subcommand) out.set(`${prefix}${o.name}`, o.options ?? []);
      else if (o.type === T.SubcommandGroup) walk(o.options, `${o.name} `);
    }
  };
  walk(data.options as readonly Opt[] | undefined, "");
  if (out.size === 0) out.set("", (data.options ?? []) as readonly Opt[]);
  return out;
}

function readValue(o: Opt, raw: RawOptions): unknown {
  const got = raw.get(o.name);
  const v = got?.value;
  switch (o.type) {
    case T.String:
      return typeof v === "string" ? v : null;
    case T.Integer:
      return typeof v === "number" && Number.isInteger(v) ? v : null;
    case T.Number:
      return typeof v === "number" && Number.isFinite(v) ? v : null;
    case T.Boolean:
      return typeof v === "boolean" ? v : null;
    case T.Channel:
      return typeof v === "string" ? { id: v, type: got?.channelType ?? -1 } : null;
    default:
      return typeof v === "string" ? v : null;
  }
}

/**
 * A slash command from its definition and one handler per declared subcommand. The handler's
 * argument types come from the definition, and the router hands it only the declared options.
 */
export function defineCommand<const D extends CommandData>(spec: {
  data: D;
  guard?: (ctx: CommandContext) => void;
  handlers: NoInfer<Handlers<D>>;
  autocomplete?: Record<
    string,
    (deps: CommandDeps, value: string, ctx: { path: string; inv: Invocation }) => Promise<Choice[]>
  >;
}): SlashCommand {
  const leaves = leavesOf(spec.data);
  const handlers = spec.handlers as Record<
    string,
    (ctx: CommandContext, args: Record<string, unknown>, res: Responder) => Promise<void>
  >;
  const pathOf = (raw: RawOptions) => [raw.group, raw.subcommand].filter(Boolean).join(" ");
  return {
    data: spec.data,
    routes: [...leaves.keys()],
    handled: Object.keys(handlers),
    async run(deps, inv, raw, res) {
      const path = pathOf(raw);
      const declared = leaves.get(path);
      const handler = handlers[path];
      if (!declared || !handler) throw new UnroutedError(`/${spec.data.name} ${path} is not routed`);
      const ctx = { deps, inv };
      spec.guard?.(ctx);
      const args: Record<string, unknown> = {};
      for (const o of declared) args[o.name] = readValue(o, raw);
      await handler(ctx, args, res);
    },
    async autocomplete(deps, inv, raw, focused) {
      const fn = spec.autocomplete?.[focused.name];
      return fn ? fn(deps, focused.value, { path: pathOf(raw), inv }) : [];
    },
  };
}

export type SubcommandData = DeepReadonly<APIApplicationCommandSubcommandOption>;

/** "alive only" or "all": the same choice wherever a command lists groups. */
export const showOption = (description: string) =>
  ({
    type: T.String,
    name: "show",
    description,
    choices: [
      { name: "alive only", value: "alive" },
      { name: "all", value: "all" },
    ],
  }) as const;
