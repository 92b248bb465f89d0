import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import zlib from "node:zlib";
import { type RawData, type WebSocket, WebSocketServer } from "ws";

/**
 * A fake Discord on 127.0.0.1 that the real discord.js Client can log into: gateway WebSocket
 * (JSON encoding, optional zlib-stream) and REST under `/api/v10`. Point the Client at it with
 * `rest: { api: fake.apiUrl }`; the gateway URL comes from `GET /api/v10/gateway/bot`.
 * It is only a server, so a bot in another process works the same way.
 *
 * Facts it mirrors (read from discord.js 14.28 / @discordjs/ws 1.2 / @discordjs/rest 2.6):
 * - without `zlib-sync` the client connects with `?v=10&encoding=json` and no `compress`;
 *   with it, `compress=zlib-stream` (served here with node:zlib, one deflate context per connection).
 * - the client resumes at READY's `resume_gateway_url` (here `ws://127.0.0.1:PORT/resume`).
 * - `ready` fires only once every guild listed in READY arrived as GUILD_CREATE (else a 15 s timeout),
 *   so GUILD_CREATE follows READY at once for each guild when the Guilds intent is on.
 * - interaction callbacks and webhook edits are sent without Authorization (`auth: false`).
 * - a session closed by the client with 1000/1001 is gone; other closes keep it resumable.
 */

export type Obj = Record<string, unknown>;

export interface DiscordUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: string | null;
  bot?: boolean;
  [key: string]: unknown;
}

export interface FakeAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  [key: string]: unknown;
}

/** A message as Discord returns it (the subset discord.js reads). */
export interface FakeMessage {
  id: string;
  channel_id: string;
  author: DiscordUser;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: unknown[];
  mention_roles: string[];
  attachments: FakeAttachment[];
  embeds: Obj[];
  components: Obj[];
  pinned: boolean;
  type: number;
  flags: number;
  nonce?: string | number;
  webhook_id?: string;
  application_id?: string;
  interaction_metadata?: Obj;
  message_reference?: Obj;
  [key: string]: unknown;
}

export interface PermissionOverwrite {
  id: string;
  /** 0 role, 1 member */
  type: 0 | 1;
  allow: bigint;
  deny: bigint;
}

export interface FakeChannel {
  readonly id: string;
  readonly guildId: string;
  name: string;
  /** 0 = GUILD_TEXT */
  type: number;
  position: number;
  overwrites: PermissionOverwrite[];
  deleted: boolean;
}

export interface FakeRole {
  readonly id: string;
  name: string;
  permissions: bigint;
  position: number;
  managed: boolean;
  botId?: string;
}

export interface FakeMember {
  /** "bot", "owner", "admin", "member", or a key given to addMember. */
  readonly key: string;
  readonly user: DiscordUser;
  roleIds: string[];
  joinedAt: string;
}

export interface FakeGuild {
  readonly id: string;
  name: string;
  ownerId: string;
  /** The @everyone role has the guild's id; `adminRoleId` carries Manage Guild. */
  readonly adminRoleId: string;
  readonly botRoleId: string;
  channels: FakeChannel[];
  roles: FakeRole[];
  members: FakeMember[];
  joinedAt: string;
}

export interface RecordedFile {
  field: string;
  name: string;
  contentType: string;
  size: number;
  /** The bytes as sent; a stored message's attachment serves them at its `url`, like Discord's CDN. */
  data: Buffer;
}

export interface RecordedRequest {
  /** Epoch ms when the request arrived. */
  at: number;
  method: string;
  /** Full path as received, e.g. `/api/v10/channels/1/messages`. */
  path: string;
  /** Path after `/api/v10`, percent-decoded, e.g. `/webhooks/1/tok/messages/@original`. */
  route: string;
  query: Record<string, string>;
  /** Request headers without `authorization`. */
  headers: Record<string, string>;
  /** `bot`: the accepted token, `wrong`: some other Authorization, `none`: no header. */
  auth: "bot" | "wrong" | "none";
  /** Parsed JSON body, or multipart `payload_json`; null without body. */
  body: unknown;
  files: RecordedFile[];
  /** Status the fake answered (0 until answered). */
  status: number;
  response: unknown;
}

export interface GatewayConnectionRecord {
  at: number;
  /** `/` for the gateway URL, `/resume` for resume_gateway_url. */
  path: string;
  query: Record<string, string>;
  compression: "zlib-stream" | "none";
  remoteAddress: string;
}

export interface IdentifyRecord {
  at: number;
  tokenOk: boolean;
  intents: number;
  shard: [number, number];
  compress: boolean;
  properties: unknown;
  presence: unknown;
  largeThreshold: unknown;
}

export interface ResumeRecord {
  at: number;
  ok: boolean;
  sessionId: string;
  seq: number;
  path: string;
}

export interface GatewayReceived {
  at: number;
  op: number;
  /** Payload with any token replaced by "[token]". */
  d: unknown;
}

export interface CallbackRecord {
  at: number;
  /** 4 reply, 5 deferred reply, 6 deferred update, 7 update message, 8 autocomplete result, 9 modal. */
  type: number;
  data: Obj | null;
  withResponse: boolean;
}

export interface WebhookRecord {
  at: number;
  /** `@original` or a message id. */
  messageId: string;
  body: Obj;
  files: RecordedFile[];
}

/** Everything the bot sent back for one interaction, as it stands now. */
export interface InteractionResult {
  interaction: Obj;
  callbacks: CallbackRecord[];
  /** PATCHes of `@original` or of followup messages. */
  edits: WebhookRecord[];
  /** POSTs to the interaction webhook. */
  followups: WebhookRecord[];
  deletions: Array<{ at: number; messageId: string }>;
  /** The response message after all edits (for 6/7: the component's message), or null. */
  original: FakeMessage | null;
  followupMessages: FakeMessage[];
  /** Choices of an autocomplete result (type 8), else null. */
  choices: Array<{ name: string; value: unknown }> | null;
  /** Data of a modal (type 9), else null. */
  modal: Obj | null;
  /** Content of `original`, or null. */
  content: string | null;
  /** Visible text (content, embed titles/descriptions/fields/footers) of original and followups. */
  text: string;
  ephemeral: boolean;
}

export interface InteractOptions {
  /** Resolve once this holds (default: `answered`). Checked after every request and gateway event. */
  until?: (r: InteractionResult) => boolean;
  /** Default 5000. */
  timeoutMs?: number;
  /** Resolve with what was collected instead of rejecting when the time is up. */
  resolveOnTimeout?: boolean;
}

export interface ActorOptions {
  /** Member key ("admin", "member", "owner", or one from addMember) or a user id. Default "member". */
  user?: string;
  guildId?: string;
  /** Channel id or name; default the guild's first text channel. */
  channelId?: string;
  locale?: string;
  /** Pretend the interaction reached the bot this long ago: past 3 s every callback gets 10062 Unknown interaction. */
  ageMs?: number;
}

export interface InteractionSpec extends ActorOptions {
  /** 2 APPLICATION_COMMAND, 3 MESSAGE_COMPONENT, 4 AUTOCOMPLETE, 5 MODAL_SUBMIT */
  type: number;
  data?: Obj;
  message?: FakeMessage;
  /** Merged over the built interaction object. */
  overrides?: Obj;
}

export type OptionValue = string | number | boolean;

export interface SlashOptions extends ActorOptions, InteractOptions {
  /** "sub" or "group sub". Required when the command has subcommands. */
  subcommand?: string;
}

export interface AutocompleteOptions extends ActorOptions, InteractOptions {
  /** Other options already filled in. */
  filled?: Record<string, OptionValue>;
}

export interface ComponentOptions extends ActorOptions, InteractOptions {
  /** The message carrying the component; default the newest message that has this custom_id. */
  messageId?: string;
}

export interface FakeDiscordOptions {
  /** Bot token the fake accepts (default: a realistic fixed token). */
  token?: string;
  /** HELLO heartbeat_interval (Discord: 41250). */
  heartbeatIntervalMs?: number;
  /** How long after INTERACTION_CREATE the first callback is accepted (Discord: 3000). */
  interactionDeadlineMs?: number;
  /** How long an interaction token accepts edits and followups (Discord: 15 min). */
  interactionTokenLifetimeMs?: number;
  /** A repeated nonce with enforce_nonce inside this window returns the first message (default 5 min). */
  nonceWindowMs?: number;
  /** Default: one guild "Fake Python Group" with text channels "general" and "alerts". */
  guilds?: Array<{ name: string; channels?: string[] }>;
  botUsername?: string;
  /** `application.flags` in READY. */
  applicationFlags?: number;
  /** `shards` in GET /gateway/bot (what ShardingManager's "auto" follows). Default 1. */
  recommendedShards?: number;
  /**
   * One-way network delay, as between a bot and the real Discord (default 0: loopback). Every gateway message
   * to the bot leaves this much later; every HTTP request is handled (and recorded) this much after it arrived,
   * and its answer leaves this much after it is ready. Order is kept (timers of one delay fire in order).
   */
  networkDelayMs?: number;
}

export interface FakeDiscord {
  readonly port: number;
  /** `http://127.0.0.1:PORT/api` — the discord.js `rest.api` option. */
  readonly apiUrl: string;
  readonly gatewayUrl: string;
  readonly resumeGatewayUrl: string;
  readonly token: string;
  readonly appId: string;
  readonly botUserId: string;
  readonly botUser: DiscordUser;
  /** The first guild. */
  readonly guildId: string;
  readonly guilds: readonly FakeGuild[];
  readonly requests: readonly RecordedRequest[];
  readonly gatewayConnections: readonly GatewayConnectionRecord[];
  readonly identifies: readonly IdentifyRecord[];
  readonly resumes: readonly ResumeRecord[];
  readonly gatewayReceived: readonly GatewayReceived[];
  readonly dispatched: ReadonlyArray<{ at: number; t: string; s: number; sessionId: string }>;

  guild(id?: string): FakeGuild;
  /** A channel id by name (or id) in the guild (default the first guild). */
  channelId(nameOrId: string, guildId?: string): string;
  channel(id: string): FakeChannel | undefined;
  /** A user id by member key ("admin", "member", "owner", "bot"). */
  userId(key: string): string;
  member(key: string, guildId?: string): FakeMember;
  addMember(key: string, o?: { username?: string; admin?: boolean }): FakeMember;
  /** Creates a text channel in the guild and tells the gateway (CHANNEL_CREATE). */
  addChannel(name: string, guildId?: string): FakeChannel;
  /** Deletes a channel: REST answers 404 Unknown Channel; CHANNEL_DELETE unless silent. */
  deleteChannel(id: string, o?: { silent?: boolean }): void;
  /** Denies the bot SendMessages (and ViewChannel with `view: false`) there; CHANNEL_UPDATE unless silent. */
  denyChannel(id: string, o?: { view?: boolean; silent?: boolean }): void;
  allowChannel(id: string, o?: { silent?: boolean }): void;

  /** Registered commands (global, or of one guild). */
  commands(guildId?: string): Obj[];
  /** Messages the bot posted to a channel (not deleted), oldest first. */
  channelMessages(
    channelId: string,
    o?: { includeInteractionReplies?: boolean; includeDeleted?: boolean },
  ): FakeMessage[];
  message(id: string): FakeMessage | undefined;

  /** Builds the full interaction object Discord would send, without sending it. */
  buildInteraction(spec: InteractionSpec): Obj;
  /** Dispatches INTERACTION_CREATE to every live session; returns the interaction sent. */
  sendInteraction(spec: InteractionSpec): Obj;
  /** Sends an interaction and collects the bot's answer to it. */
  interact(spec: InteractionSpec, o?: InteractOptions): Promise<InteractionResult>;
  /** The bot's answer to an earlier interaction, as it stands now. */
  interactionResult(interactionId: string): InteractionResult;
  /** Every interaction token handed to the bot so far (to check none leaks into its logs). */
  interactionTokens(): string[];
  slash(name: string, options?: Record<string, OptionValue>, o?: SlashOptions): Promise<InteractionResult>;
  autocomplete(
    name: string,
    subcommand: string | null,
    focusedOption: string,
    value: OptionValue,
    o?: AutocompleteOptions,
  ): Promise<InteractionResult>;
  button(customId: string, o?: ComponentOptions): Promise<InteractionResult>;
  select(customId: string, values: string[], o?: ComponentOptions): Promise<InteractionResult>;
  modalSubmit(
    customId: string,
    fields: Record<string, string>,
    o?: ActorOptions & InteractOptions,
  ): Promise<InteractionResult>;

  /** Sends a dispatch event to every live session. */
  dispatch(t: string, d: unknown): void;
  /** Resolves once a session has READY and its GUILD_CREATEs sent and is connected. */
  waitForReady(timeoutMs?: number): Promise<void>;
  /** Gateway WebSocket connections open now (a killed bot process drops to 0). */
  openGatewayConnections(): number;
  /** Resolves with the first truthy value of `check`, re-checked on every fake event and every 25 ms. */
  waitFor<T>(check: () => T, timeoutMs?: number, what?: string): Promise<Truthy<T>>;
  /** Closes every gateway connection with `code` (4000: the client resumes). `invalidate` ends the sessions. */
  disconnectGateway(o?: { code?: number; invalidate?: boolean }): void;
  /** Sends op 7 RECONNECT to every connection. */
  requestReconnect(): void;
  /** The next matching request(s) get this answer instead. */
  failNext(o: {
    status: number;
    body?: unknown;
    headers?: Record<string, string>;
    match?: (r: RecordedRequest) => boolean;
    times?: number;
  }): void;
  /** The next matching request(s) get a 429 with Retry-After. */
  rateLimitNext(o?: {
    retryAfterSeconds?: number;
    global?: boolean;
    match?: (r: RecordedRequest) => boolean;
    times?: number;
  }): void;
  /** Terminates gateway clients, destroys sockets, stops the server. Destroy bot clients first. */
  close(): Promise<void>;
}

export type Truthy<T> = Exclude<T, false | null | undefined | 0 | "">;

export const Permission = {
  CreateInstantInvite: 1n << 0n,
  KickMembers: 1n << 1n,
  Administrator: 1n << 3n,
  ManageChannels: 1n << 4n,
  ManageGuild: 1n << 5n,
  AddReactions: 1n << 6n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  ManageMessages: 1n << 13n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  UseExternalEmojis: 1n << 18n,
  Connect: 1n << 20n,
  Speak: 1n << 21n,
  ChangeNickname: 1n << 26n,
  UseApplicationCommands: 1n << 31n,
  SendMessagesInThreads: 1n << 38n,
} as const;

const ALL_PERMISSIONS = (1n << 51n) - 1n;
const EVERYONE_PERMISSIONS =
  Permission.CreateInstantInvite |
  Permission.AddReactions |
  Permission.ViewChannel |
  Permission.SendMessages |
  Permission.EmbedLinks |
  Permission.AttachFiles |
  Permission.ReadMessageHistory |
  Permission.UseExternalEmojis |
  Permission.Connect |
  Permission.Speak |
  Permission.ChangeNickname |
  Permission.UseApplicationCommands |
  Permission.SendMessagesInThreads;
const BOT_ROLE_PERMISSIONS =
  Permission.ViewChannel |
  Permission.SendMessages |
  Permission.EmbedLinks |
  Permission.AttachFiles |
  Permission.ReadMessageHistory |
  Permission.UseApplicationCommands;

const GUILDS_INTENT = 1;
const EPHEMERAL = 64;
const LOADING = 128;
const COMPONENTS_V2 = 1 << 15;
const TEXT_CHANNEL = 0;
const DISCORD_EPOCH = 1_420_070_400_000n;

const InteractionType = { Command: 2, Component: 3, Autocomplete: 4, ModalSubmit: 5 } as const;
const ALLOWED_CALLBACKS: Record<number, number[]> = {
  2: [4, 5, 9, 10, 12],
  3: [4, 5, 6, 7, 9, 10, 12],
  4: [8],
  5: [4, 5, 6, 7, 10, 12],
};

// ---------- small pure helpers ----------

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const objects = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const clone = <T>(v: T): T => structuredClone(v);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

export function snowflakeAt(ms: number, increment = 0): string {
  return (((BigInt(ms) - DISCORD_EPOCH) << 22n) | BigInt(increment & 0x3fffff)).toString();
}

/** Discord's message `flags` & 64. */
export function isEphemeral(m: FakeMessage | null | undefined): boolean {
  return Boolean(m && m.flags & EPHEMERAL);
}

/** Content plus the visible text of embeds, one part per line. */
export function messageText(m: FakeMessage | null | undefined): string {
  if (!m) return "";
  const parts: string[] = [m.content];
  for (const e of m.embeds) {
    parts.push(str(e.title), str(e.description));
    if (isObj(e.author)) parts.push(str(e.author.name));
    for (const f of objects(e.fields)) parts.push(str(f.name), str(f.value));
    if (isObj(e.footer)) parts.push(str(e.footer.text));
  }
  return parts.filter((p) => p !== "").join("\n");
}

/** Default `until`: a final callback arrived, or a deferral was followed by an edit/followup/delete. */
export function answered(r: InteractionResult): boolean {
  const types = r.callbacks.map((c) => c.type);
  if (types.some((t) => t === 4 || t === 7 || t === 8 || t === 9)) return true;
  if (types.some((t) => t === 5 || t === 6))
    return r.edits.length + r.followups.length + r.deletions.length > 0;
  return false;
}

function userJson(id: string, username: string, bot = false): DiscordUser {
  return {
    id,
    username,
    global_name: bot ? null : username[0]!.toUpperCase() + username.slice(1),
    discriminator: "0",
    avatar: null,
    avatar_decoration_data: null,
    banner: null,
    accent_color: null,
    public_flags: 0,
    flags: 0,
    collectibles: null,
    primary_guild: null,
    ...(bot ? { bot: true } : {}),
  };
}

function defaultToken(botUserId: string): string {
  return `${Buffer.from(botUserId).toString("base64url")}.GfAkEd.fake-discord-signature_0123456789abcdef`;
}

function interactionToken(id: string): string {
  return Buffer.from(`interaction:${id}:${randomBytes(48).toString("base64url")}`).toString("base64url");
}

// ---------- validation with Discord-shaped errors ----------

interface FormError {
  path: string;
  code: string;
  message: string;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const errorReply = (status: number, code: number, message: string): Reply => ({
  status,
  body: { message, code },
});

function invalidForm(errors: FormError[]): Reply {
  const root: Obj = {};
  for (const e of errors) {
    let node = root;
    for (const part of e.path.split(".").filter(Boolean)) {
      const next = isObj(node[part]) ? (node[part] as Obj) : {};
      node[part] = next;
      node = next;
    }
    const list = Array.isArray(node._errors) ? node._errors : [];
    list.push({ code: e.code, message: e.message });
    node._errors = list;
  }
  return { status: 400, body: { message: "Invalid Form Body", code: 50035, errors: root } };
}

function checkLength(errs: FormError[], path: string, v: unknown, min: number, max: number): void {
  if (v === undefined || v === null) {
    if (min > 0) errs.push({ path, code: "BASE_TYPE_REQUIRED", message: "This field is required" });
    return;
  }
  if (typeof v !== "string") {
    errs.push({ path, code: "BASE_TYPE_STRING", message: "Must be a string." });
    return;
  }
  const n = [...v].length;
  if (n > max) {
    const message =
      min > 0 ? `Must be between ${min} and ${max} in length.` : `Must be ${max} or fewer in length.`;
    errs.push({ path, code: min > 0 ? "BASE_TYPE_BAD_LENGTH" : "BASE_TYPE_MAX_LENGTH", message });
  } else if (n < min) {
    errs.push({
      path,
      code: "BASE_TYPE_BAD_LENGTH",
      message: `Must be between ${min} and ${max} in length.`,
    });
  }
}

function embedSize(e: Obj): number {
  let n = [...str(e.title)].length + [...str(e.description)].length;
  if (isObj(e.author)) n += [...str(e.author.name)].length;
  if (isObj(e.footer)) n += [...str(e.footer.text)].length;
  for (const f of objects(e.fields)) n += [...str(f.name)].length + [...str(f.value)].length;
  return n;
}

function checkEmbeds(errs: FormError[], p: string, embeds: unknown): void {
  if (embeds === undefined || embeds === null) return;
  if (!Array.isArray(embeds)) {
    errs.push({ path: `${p}embeds`, code: "BASE_TYPE_ARRAY", message: "Must be an array." });
    return;
  }
  if (embeds.length > 10)
    errs.push({
      path: `${p}embeds`,
      code: "BASE_TYPE_MAX_LENGTH",
      message: "Must be 10 or fewer in length.",
    });
  let total = 0;
  objects(embeds).forEach((e, i) => {
    const ep = `${p}embeds.${i}.`;
    checkLength(errs, `${ep}title`, e.title, 0, 256);
    checkLength(errs, `${ep}description`, e.description, 0, 4096);
    if (isObj(e.author)) checkLength(errs, `${ep}author.name`, e.author.name, 1, 256);
    if (isObj(e.footer)) checkLength(errs, `${ep}footer.text`, e.footer.text, 1, 2048);
    const fields = objects(e.fields);
    if (fields.length > 25)
      errs.push({
        path: `${ep}fields`,
        code: "BASE_TYPE_MAX_LENGTH",
        message: "Must be 25 or fewer in length.",
      });
    fields.forEach((f, j) => {
      checkLength(errs, `${ep}fields.${j}.name`, f.name, 1, 256);
      checkLength(errs, `${ep}fields.${j}.value`, f.value, 1, 1024);
    });
    total += embedSize(e);
  });
  if (total > 6000)
    errs.push({
      path: `${p}embeds`,
      code: "MAX_EMBED_SIZE_EXCEEDED",
      message: "Embed size exceeds maximum size of 6000",
    });
}

/** Every component (any depth: rows, containers, sections' accessories). */
function allComponents(components: unknown): Obj[] {
  const out: Obj[] = [];
  const walk = (c: Obj): void => {
    out.push(c);
    for (const child of objects(c.components)) walk(child);
    if (isObj(c.accessory)) walk(c.accessory);
    if (isObj(c.component)) walk(c.component);
  };
  for (const c of objects(components)) walk(c);
  return out;
}

function checkComponents(errs: FormError[], p: string, components: unknown, flags: number): void {
  if (components === undefined || components === null) return;
  if (!Array.isArray(components)) {
    errs.push({ path: `${p}components`, code: "BASE_TYPE_ARRAY", message: "Must be an array." });
    return;
  }
  if (!(flags & COMPONENTS_V2)) {
    if (components.length > 5)
      errs.push({
        path: `${p}components`,
        code: "BASE_TYPE_MAX_LENGTH",
        message: "Must be 5 or fewer in length.",
      });
    objects(components).forEach((row, i) => {
      const rp = `${p}components.${i}`;
      if (row.type !== 1) {
        errs.push({
          path: `${rp}.type`,
          code: "COMPONENT_LAYOUT_INVALID",
          message: "Expected an action row.",
        });
        return;
      }
      const children = objects(row.components);
      if (children.length < 1 || children.length > 5)
        errs.push({
          path: `${rp}.components`,
          code: "BASE_TYPE_BAD_LENGTH",
          message: "Must be between 1 and 5 in length.",
        });
      children.forEach((c, j) => {
        const cp = `${rp}.components.${j}.`;
        if (c.type === 2) {
          checkLength(errs, `${cp}label`, c.label, 0, 80);
          if (c.style === 5) {
            if (typeof c.url !== "string")
              errs.push({ path: `${cp}url`, code: "BASE_TYPE_REQUIRED", message: "This field is required" });
          } else if (c.style !== 6) checkLength(errs, `${cp}custom_id`, c.custom_id, 1, 100);
        } else if (typeof c.type === "number" && c.type >= 3 && c.type <= 8) {
          checkLength(errs, `${cp}custom_id`, c.custom_id, 1, 100);
          checkLength(errs, `${cp}placeholder`, c.placeholder, 0, 150);
          if (c.type === 3) {
            const options = objects(c.options);
            if (options.length < 1 || options.length > 25)
              errs.push({
                path: `${cp}options`,
                code: "BASE_TYPE_BAD_LENGTH",
                message: "Must be between 1 and 25 in length.",
              });
            options.forEach((o, k) => {
              checkLength(errs, `${cp}options.${k}.label`, o.label, 1, 100);
              checkLength(errs, `${cp}options.${k}.value`, o.value, 1, 100);
              checkLength(errs, `${cp}options.${k}.description`, o.description, 0, 100);
            });
          }
        }
      });
    });
  } else if (allComponents(components).length > 40) {
    errs.push({
      path: `${p}components`,
      code: "BASE_TYPE_MAX_LENGTH",
      message: "Must be 40 or fewer in length.",
    });
  }
  const seen = new Set<string>();
  for (const c of allComponents(components)) {
    if (typeof c.custom_id !== "string") continue;
    if (seen.has(c.custom_id))
      errs.push({
        path: `${p}components`,
        code: "COMPONENT_CUSTOM_ID_DUPLICATED",
        message: "Component custom id cannot be duplicated",
      });
    seen.add(c.custom_id);
  }
}

/** Discord's limits for a message body; `partial` for edits. Returns the error reply, or null. */
function checkMessage(body: Obj | null, p: string, o: { partial: boolean; files: number }): Reply | null {
  const b = body ?? {};
  const errs: FormError[] = [];
  const flags = typeof b.flags === "number" ? b.flags : 0;
  checkLength(errs, `${p}content`, b.content, 0, 2000);
  checkEmbeds(errs, p, b.embeds);
  checkComponents(errs, p, b.components, flags);
  if (b.nonce !== undefined && b.nonce !== null) {
    if (typeof b.nonce === "string") checkLength(errs, `${p}nonce`, b.nonce, 0, 25);
    else if (!Number.isInteger(b.nonce))
      errs.push({ path: `${p}nonce`, code: "BASE_TYPE_NONCE", message: "Must be an integer or a string." });
  }
  if (errs.length > 0) return invalidForm(errs);
  if (o.partial) return null;
  const hasContent = typeof b.content === "string" && b.content.trim() !== "";
  const hasEmbeds = Array.isArray(b.embeds) && b.embeds.length > 0;
  const hasComponents = Array.isArray(b.components) && b.components.length > 0;
  const hasStickers = Array.isArray(b.sticker_ids) && b.sticker_ids.length > 0;
  if (!hasContent && !hasEmbeds && !hasComponents && !hasStickers && o.files === 0 && !isObj(b.poll))
    return errorReply(400, 50006, "Cannot send an empty message");
  return null;
}

const CHAT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function checkChatName(errs: FormError[], path: string, name: unknown, what: string): void {
  if (typeof name !== "string" || !CHAT_NAME.test(name) || name !== name.toLowerCase())
    errs.push({ path, code: "APPLICATION_COMMAND_INVALID_NAME", message: `${what} name is invalid` });
}

function checkChoices(errs: FormError[], p: string, o: Obj): void {
  if (o.choices === undefined) return;
  const choices = objects(o.choices);
  if (![3, 4, 10].includes(Number(o.type)))
    errs.push({
      path: `${p}choices`,
      code: "APPLICATION_COMMAND_OPTION_CHOICES_INVALID",
      message: "Not allowed",
    });
  if (choices.length > 25)
    errs.push({
      path: `${p}choices`,
      code: "BASE_TYPE_MAX_LENGTH",
      message: "Must be 25 or fewer in length.",
    });
  if (o.autocomplete === true && choices.length > 0)
    errs.push({
      path: `${p}autocomplete`,
      code: "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_WITH_CHOICES",
      message: "Autocomplete cannot be set with choices",
    });
  choices.forEach((c, i) => {
    checkLength(errs, `${p}choices.${i}.name`, c.name, 1, 100);
    if (o.type === 3) checkLength(errs, `${p}choices.${i}.value`, c.value, 1, 100);
    else if (typeof c.value !== "number" || (o.type === 4 && !Number.isInteger(c.value)))
      errs.push({
        path: `${p}choices.${i}.value`,
        code: "NUMBER_TYPE_COERCE",
        message: "Value is not a number.",
      });
  });
}

function checkCommandOptions(
  errs: FormError[],
  p: string,
  options: unknown,
  level: "command" | "group" | "subcommand",
): void {
  if (options === undefined || options === null) {
    if (level === "group")
      errs.push({ path: `${p}options`, code: "BASE_TYPE_REQUIRED", message: "This field is required" });
    return;
  }
  if (!Array.isArray(options)) {
    errs.push({ path: `${p}options`, code: "BASE_TYPE_ARRAY", message: "Must be an array." });
    return;
  }
  const list = objects(options);
  if (list.length > 25)
    errs.push({
      path: `${p}options`,
      code: "BASE_TYPE_MAX_LENGTH",
      message: "Must be 25 or fewer in length.",
    });
  const nested = list.filter((o) => o.type === 1 || o.type === 2);
  if (nested.length > 0 && nested.length !== list.length)
    errs.push({
      path: `${p}options`,
      code: "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
      message: "Sub-command and sub-command group option types are mutually exclusive to all other types",
    });
  const names = new Set<string>();
  let seenOptional = false;
  list.forEach((o, i) => {
    const op = `${p}options.${i}.`;
    checkChatName(errs, `${op}name`, o.name, "Option");
    checkLength(errs, `${op}description`, o.description, 1, 100);
    if (typeof o.name === "string") {
      if (names.has(o.name))
        errs.push({
          path: `${op}name`,
          code: "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
          message: "Option name already exists",
        });
      names.add(o.name);
    }
    if (typeof o.type !== "number" || o.type < 1 || o.type > 11)
      errs.push({ path: `${op}type`, code: "BASE_TYPE_CHOICES", message: "Value must be one of 1..11." });
    if ((level === "group" && o.type !== 1) || (level === "subcommand" && (o.type === 1 || o.type === 2)))
      errs.push({
        path: `${op}type`,
        code: "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
        message: "Sub-commands can only nest one level inside a group",
      });
    if (o.required === true && seenOptional)
      errs.push({
        path: `${op}required`,
        code: "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
        message: "Required options must be placed before non-required options",
      });
    if (o.required !== true && o.type !== 1 && o.type !== 2) seenOptional = true;
    if (o.min_length !== undefined && !(Number.isInteger(o.min_length) && Number(o.min_length) <= 6000))
      errs.push({ path: `${op}min_length`, code: "NUMBER_TYPE_MAX", message: "Must be 0..6000." });
    if (o.max_length !== undefined && !(Number.isInteger(o.max_length) && Number(o.max_length) >= 1))
      errs.push({ path: `${op}max_length`, code: "NUMBER_TYPE_MIN", message: "Must be 1..6000." });
    checkChoices(errs, op, o);
    if (o.type === 1) checkCommandOptions(errs, op, o.options, "subcommand");
    if (o.type === 2) checkCommandOptions(errs, op, o.options, "group");
  });
}

function commandChars(c: Obj): number {
  let n = [...str(c.name)].length + [...str(c.description)].length;
  for (const ch of objects(c.choices)) n += [...str(ch.name)].length + [...String(ch.value ?? "")].length;
  for (const o of objects(c.options)) n += commandChars(o);
  return n;
}

function checkCommand(errs: FormError[], p: string, c: Obj): void {
  const type = c.type ?? 1;
  if (type === 1) {
    checkChatName(errs, `${p}name`, c.name, "Command");
    checkLength(errs, `${p}description`, c.description, 1, 100);
    checkCommandOptions(errs, p, c.options, "command");
    if (commandChars(c) > 4000)
      errs.push({
        path: p,
        code: "APPLICATION_COMMAND_TOO_LARGE",
        message: "Command exceeds maximum size (4000)",
      });
  } else {
    checkLength(errs, `${p}name`, c.name, 1, 32);
    if (c.description !== undefined && c.description !== "")
      errs.push({
        path: `${p}description`,
        code: "BASE_TYPE_MAX_LENGTH",
        message: "Must be 0 or fewer in length.",
      });
  }
  const dmp = c.default_member_permissions;
  if (dmp !== undefined && dmp !== null && !(typeof dmp === "string" && /^\d+$/.test(dmp)))
    errs.push({
      path: `${p}default_member_permissions`,
      code: "BASE_TYPE_STRING",
      message: "Must be a string.",
    });
}

// ---------- multipart ----------

async function parseBody(
  contentType: string,
  raw: Buffer,
): Promise<{ body: unknown; files: RecordedFile[]; invalid: boolean }> {
  if (raw.length === 0) return { body: null, files: [], invalid: false };
  if (contentType.startsWith("multipart/form-data")) {
    const form = await new Response(new Uint8Array(raw), {
      headers: { "content-type": contentType },
    }).formData();
    const files: RecordedFile[] = [];
    let body: unknown = null;
    let invalid = false;
    for (const [field, value] of form.entries()) {
      if (typeof value === "string") {
        if (field === "payload_json") {
          try {
            body = JSON.parse(value);
          } catch {
            invalid = true;
          }
        }
      } else {
        files.push({
          field,
          name: value.name,
          contentType: value.type,
          size: value.size,
          data: Buffer.from(await value.arrayBuffer()),
        });
      }
    }
    return { body, files, invalid };
  }
  const text = raw.toString("utf8");
  if (contentType.includes("json")) {
    try {
      return { body: JSON.parse(text), files: [], invalid: false };
    } catch {
      return { body: text, files: [], invalid: true };
    }
  }
  return { body: text, files: [], invalid: false };
}

// ---------- the server ----------

interface StoredMessage {
  message: FakeMessage;
  /** "channel": POST /channels/:id/messages; "interaction": a response/followup; "synthetic": made up for a component. */
  origin: "channel" | "interaction" | "synthetic";
  deleted: boolean;
  createdAt: number;
}

interface InteractionState {
  payload: Obj;
  id: string;
  token: string;
  type: number;
  channelId: string;
  sentAt: number;
  callbacks: CallbackRecord[];
  edits: WebhookRecord[];
  followups: WebhookRecord[];
  deletions: Array<{ at: number; messageId: string }>;
  original: StoredMessage | null;
  componentMessage: StoredMessage | null;
  followupMessages: StoredMessage[];
}

interface Session {
  id: string;
  seq: number;
  intents: number;
  shard: [number, number];
  backlog: Array<{ s: number; text: string }>;
  conn: Connection | null;
  alive: boolean;
  readyAt: number | null;
}

interface Connection {
  ws: WebSocket;
  path: string;
  session: Session | null;
  deflate: zlib.Deflate | null;
  /** Deflate output not yet sent. */
  pending: Buffer[];
  identifyCompress: boolean;
  outbox: Promise<void>;
  closedByServer: boolean;
}

interface Injection {
  match: (r: RecordedRequest) => boolean;
  reply: Reply;
  remaining: number;
}

interface Route {
  method: string;
  segments: string[];
  auth: boolean;
  handle: (c: Ctx) => Reply;
}

interface Ctx {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  files: RecordedFile[];
}

const FIXED_IDS = {
  bot: snowflakeAt(Date.parse("2024-03-05T10:00:00Z"), 1),
  owner: snowflakeAt(Date.parse("2019-06-01T12:00:00Z"), 1),
  admin: snowflakeAt(Date.parse("2020-02-14T08:30:00Z"), 1),
  member: snowflakeAt(Date.parse("2021-09-20T19:45:00Z"), 1),
};

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (p.startsWith(":")) params[p.slice(1)] = s;
    else if (p !== s) return null;
  }
  return params;
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function readAll(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function deflateChunk(d: zlib.Deflate, pending: Buffer[], text: string): Promise<Buffer> {
  return new Promise((resolve) => {
    d.write(text);
    d.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      // 'data' may be emitted on a later tick than the flush callback.
      setImmediate(() => resolve(Buffer.concat(pending.splice(0))));
    });
  });
}

export async function startFakeDiscord(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const botUserId = FIXED_IDS.bot;
  const appId = botUserId;
  const token = opts.token ?? defaultToken(botUserId);
  const heartbeatInterval = opts.heartbeatIntervalMs ?? 41_250;
  const deadlineMs = opts.interactionDeadlineMs ?? 3000;
  const tokenLifetimeMs = opts.interactionTokenLifetimeMs ?? 15 * 60_000;
  const nonceWindowMs = opts.nonceWindowMs ?? 5 * 60_000;
  const networkDelayMs = opts.networkDelayMs ?? 0;
  const botUser = userJson(botUserId, opts.botUsername ?? "Poick", true);
  const applicationFlags = opts.applicationFlags ?? 0;

  const requests: RecordedRequest[] = [];
  const gatewayConnections: GatewayConnectionRecord[] = [];
  const identifies: IdentifyRecord[] = [];
  const resumes: ResumeRecord[] = [];
  const gatewayReceived: GatewayReceived[] = [];
  const dispatched: Array<{ at: number; t: string; s: number; sessionId: string }> = [];
  const sessions: Session[] = [];
  const connections = new Set<Connection>();
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  const closeListeners = new Set<() => void>();
  const injections: Injection[] = [];
  const interactions = new Map<string, InteractionState>();
  const interactionsByToken = new Map<string, InteractionState>();
  const allMessages = new Map<string, StoredMessage>();
  const attachmentBytes = new Map<string, RecordedFile>();
  const channelLog = new Map<string, StoredMessage[]>();
  const nonces = new Map<string, { at: number; stored: StoredMessage }>();
  const globalCommands: Obj[] = [];
  const guildCommands = new Map<string, Obj[]>();
  let closed = false;
  let lastId = 0n;

  const nextId = (): string => {
    const t = (BigInt(Date.now()) - DISCORD_EPOCH) << 22n;
    lastId = t > lastId ? t : lastId + 1n;
    return lastId.toString();
  };
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };

  // ----- guilds and members -----

  const users = new Map<string, DiscordUser>([
    ["bot", botUser],
    ["owner", userJson(FIXED_IDS.owner, "owner")],
    ["admin", userJson(FIXED_IDS.admin, "organiser")],
    ["member", userJson(FIXED_IDS.member, "pythonista")],
  ]);
  const adminKeys = new Set(["admin"]);

  function makeMember(guild: FakeGuild, key: string): FakeMember {
    const user = users.get(key)!;
    const roleIds = key === "bot" ? [guild.botRoleId] : adminKeys.has(key) ? [guild.adminRoleId] : [];
    return { key, user, roleIds, joinedAt: key === "bot" ? guild.joinedAt : "2022-01-10T18:00:00.000Z" };
  }

  const guildSpecs = opts.guilds ?? [{ name: "Fake Python Group", channels: ["general", "alerts"] }];
  const guilds: FakeGuild[] = guildSpecs.map((spec, gi) => {
    const at = Date.parse("2018-09-10T18:00:00Z") + gi * 86_400_000;
    const id = snowflakeAt(at, 0);
    const names = spec.channels && spec.channels.length > 0 ? spec.channels : ["general"];
    const guild: FakeGuild = {
      id,
      name: spec.name,
      ownerId: FIXED_IDS.owner,
      adminRoleId: snowflakeAt(at + 1000, 1),
      botRoleId: snowflakeAt(at + 1000, 2),
      channels: names.map((name, i) => ({
        id: snowflakeAt(at + 2000, i),
        guildId: id,
        name,
        type: TEXT_CHANNEL,
        position: i,
        overwrites: [],
        deleted: false,
      })),
      roles: [],
      members: [],
      joinedAt: "2024-03-05T10:05:00.000Z",
    };
    guild.roles = [
      { id, name: "@everyone", permissions: EVERYONE_PERMISSIONS, position: 0, managed: false },
      {
        id: guild.adminRoleId,
        name: "Organisers",
        permissions: Permission.ManageGuild,
        position: 2,
        managed: false,
      },
      {
        id: guild.botRoleId,
        name: botUser.username,
        permissions: BOT_ROLE_PERMISSIONS,
        position: 1,
        managed: true,
        botId: botUserId,
      },
    ];
    guild.members = ["bot", "owner", "admin", "member"].map((k) => makeMember(guild, k));
    return guild;
  });
  const primary = guilds[0]!;

  function guildById(id?: string): FakeGuild {
    const g = guilds.find((x) => x.id === (id ?? primary.id));
    if (!g) throw new Error(`fake Discord: no guild ${id}`);
    return g;
  }
  function channelById(id: string): FakeChannel | undefined {
    for (const g of guilds) {
      const c = g.channels.find((x) => x.id === id);
      if (c) return c;
    }
    return undefined;
  }
  function findMember(guild: FakeGuild, keyOrId: string): FakeMember {
    const m = guild.members.find((x) => x.key === keyOrId || x.user.id === keyOrId);
    if (!m)
      throw new Error(
        `fake Discord: no member "${keyOrId}" (have: ${guild.members.map((x) => x.key).join(", ")})`,
      );
    return m;
  }
  function basePermissions(guild: FakeGuild, m: FakeMember): bigint {
    if (m.user.id === guild.ownerId) return ALL_PERMISSIONS;
    let p = 0n;
    for (const r of guild.roles) if (r.id === guild.id || m.roleIds.includes(r.id)) p |= r.permissions;
    return p & Permission.Administrator ? ALL_PERMISSIONS : p;
  }
  function channelPermissions(guild: FakeGuild, m: FakeMember, ch: FakeChannel): bigint {
    let p = basePermissions(guild, m);
    if (p === ALL_PERMISSIONS) return p;
    const everyone = ch.overwrites.find((o) => o.type === 0 && o.id === guild.id);
    if (everyone) p = (p & ~everyone.deny) | everyone.allow;
    let allow = 0n;
    let deny = 0n;
    for (const o of ch.overwrites)
      if (o.type === 0 && o.id !== guild.id && m.roleIds.includes(o.id)) {
        allow |= o.allow;
        deny |= o.deny;
      }
    p = (p & ~deny) | allow;
    const own = ch.overwrites.find((o) => o.type === 1 && o.id === m.user.id);
    if (own) p = (p & ~own.deny) | own.allow;
    return p;
  }
  const botPermissionsIn = (ch: FakeChannel): bigint => {
    const g = guildById(ch.guildId);
    return channelPermissions(g, findMember(g, "bot"), ch);
  };

  // ----- JSON shapes -----

  const roleJson = (r: FakeRole): Obj => ({
    id: r.id,
    name: r.name,
    description: null,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position: r.position,
    permissions: r.permissions.toString(),
    managed: r.managed,
    mentionable: false,
    flags: 0,
    ...(r.botId ? { tags: { bot_id: r.botId } } : {}),
  });
  const channelJson = (c: FakeChannel): Obj => ({
    id: c.id,
    type: c.type,
    guild_id: c.guildId,
    name: c.name,
    position: c.position,
    permission_overwrites: c.overwrites.map((o) => ({
      id: o.id,
      type: o.type,
      allow: o.allow.toString(),
      deny: o.deny.toString(),
    })),
    parent_id: null,
    topic: null,
    nsfw: false,
    last_message_id: channelLog.get(c.id)?.at(-1)?.message.id ?? null,
    rate_limit_per_user: 0,
    flags: 0,
  });
  const memberJson = (m: FakeMember): Obj => ({
    user: m.user,
    nick: null,
    avatar: null,
    banner: null,
    roles: m.roleIds,
    joined_at: m.joinedAt,
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
    unusual_dm_activity_until: null,
  });
  const guildJson = (g: FakeGuild, full: boolean): Obj => ({
    id: g.id,
    name: g.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: g.ownerId,
    region: "deprecated",
    afk_channel_id: null,
    afk_timeout: 300,
    widget_enabled: false,
    verification_level: 1,
    default_message_notifications: 1,
    explicit_content_filter: 2,
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: g.channels.find((c) => !c.deleted)?.id ?? null,
    system_channel_flags: 0,
    rules_channel_id: null,
    public_updates_channel_id: null,
    safety_alerts_channel_id: null,
    vanity_url_code: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    premium_progress_bar_enabled: false,
    preferred_locale: "en-US",
    max_members: 500_000,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    nsfw_level: 0,
    nsfw: false,
    roles: g.roles.map(roleJson),
    emojis: [],
    stickers: [],
    incidents_data: null,
    ...(full
      ? {
          joined_at: g.joinedAt,
          large: false,
          unavailable: false,
          lazy: true,
          member_count: g.members.length,
          members: g.members.map(memberJson),
          channels: g.channels.filter((c) => !c.deleted).map(channelJson),
          threads: [],
          presences: [],
          voice_states: [],
          stage_instances: [],
          guild_scheduled_events: [],
          soundboard_sounds: [],
          embedded_activities: [],
          application_command_counts: {},
        }
      : {}),
  });
  const applicationJson = (): Obj => ({
    id: appId,
    name: botUser.username,
    icon: null,
    description: "",
    summary: "",
    type: null,
    bot_public: false,
    bot_require_code_grant: false,
    verify_key: "0".repeat(64),
    flags: applicationFlags,
    hook: true,
    is_monetized: false,
    owner: users.get("owner"),
    team: null,
    bot: botUser,
    approximate_guild_count: guilds.length,
    integration_types_config: { "0": {} },
    install_params: {
      scopes: ["bot", "applications.commands"],
      permissions: BOT_ROLE_PERMISSIONS.toString(),
    },
    redirect_uris: [],
    interactions_endpoint_url: null,
    tags: [],
  });

  // ----- gateway -----

  function sendText(conn: Connection, text: string): void {
    if (networkDelayMs > 0) setTimeout(() => sendNow(conn, text), networkDelayMs);
    else sendNow(conn, text);
  }

  function sendNow(conn: Connection, text: string): void {
    const deflate = conn.deflate;
    if (deflate) {
      conn.outbox = conn.outbox
        .then(() => deflateChunk(deflate, conn.pending, text))
        .then((buf) => {
          if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(buf);
        })
        .catch(() => undefined);
      return;
    }
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    if (conn.identifyCompress) conn.ws.send(zlib.deflateSync(text));
    else conn.ws.send(text);
  }
  const sendOp = (conn: Connection, op: number, d: unknown): void =>
    sendText(conn, JSON.stringify({ op, d, s: null, t: null }));

  function dispatchTo(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    const text = JSON.stringify({ op: 0, t, s: session.seq, d });
    session.backlog.push({ s: session.seq, text });
    if (session.backlog.length > 1000) session.backlog.shift();
    dispatched.push({ at: Date.now(), t, s: session.seq, sessionId: session.id });
    if (session.conn) sendText(session.conn, text);
  }
  const onShard = (s: Session, guildId: string): boolean =>
    Number((BigInt(guildId) >> 22n) % BigInt(s.shard[1])) === s.shard[0];
  const liveSessions = (guildId?: string): Session[] =>
    sessions.filter((s) => s.alive && s.readyAt !== null && (!guildId || onShard(s, guildId)));
  function dispatchAll(t: string, d: unknown, guildId?: string): number {
    const targets = liveSessions(guildId);
    for (const s of targets) dispatchTo(s, t, d);
    notify();
    return targets.length;
  }

  function serverClose(conn: Connection, code: number, reason: string): void {
    conn.closedByServer = true;
    conn.ws.close(code, reason);
    setTimeout(() => conn.ws.terminate(), 1000).unref();
  }

  function onIdentify(conn: Connection, d: unknown): void {
    if (conn.session) {
      serverClose(conn, 4005, "Already authenticated.");
      return;
    }
    const p = isObj(d) ? d : {};
    const tokenOk = p.token === token;
    const intents = typeof p.intents === "number" ? p.intents : Number.NaN;
    const shard: [number, number] =
      Array.isArray(p.shard) && p.shard.length === 2 ? [Number(p.shard[0]), Number(p.shard[1])] : [0, 1];
    identifies.push({
      at: Date.now(),
      tokenOk,
      intents,
      shard,
      compress: p.compress === true,
      properties: p.properties,
      presence: p.presence,
      largeThreshold: p.large_threshold,
    });
    if (!tokenOk) {
      serverClose(conn, 4004, "Authentication failed.");
      return;
    }
    if (!Number.isInteger(intents) || intents < 0) {
      serverClose(conn, 4013, "Invalid intent(s).");
      return;
    }
    if (!(shard[1] >= 1 && shard[0] >= 0 && shard[0] < shard[1])) {
      serverClose(conn, 4010, "Invalid shard.");
      return;
    }
    conn.identifyCompress = p.compress === true && !conn.deflate;
    const session: Session = {
      id: randomBytes(16).toString("hex"),
      seq: 0,
      intents,
      shard,
      backlog: [],
      conn,
      alive: true,
      readyAt: null,
    };
    conn.session = session;
    sessions.push(session);
    const mine = guilds.filter((g) => onShard(session, g.id));
    dispatchTo(session, "READY", {
      v: 10,
      user: { ...botUser, verified: true, mfa_enabled: false, email: null },
      user_settings: {},
      guilds: mine.map((g) => ({ id: g.id, unavailable: true })),
      session_id: session.id,
      session_type: "normal",
      resume_gateway_url: resumeGatewayUrl,
      shard,
      application: { id: appId, flags: applicationFlags },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: ["fake"],
      auth: {},
      _trace: ['["fake-discord",{"micros":0}]'],
    });
    if (intents & GUILDS_INTENT)
      for (const g of mine) dispatchTo(session, "GUILD_CREATE", guildJson(g, true));
    session.readyAt = Date.now();
    notify();
  }

  function onResume(conn: Connection, d: unknown): void {
    const p = isObj(d) ? d : {};
    const seq = typeof p.seq === "number" ? p.seq : -1;
    const session = sessions.find((s) => s.id === p.session_id && s.alive);
    const firstKept = session?.backlog[0]?.s ?? 1;
    const ok = Boolean(
      session && p.token === token && seq >= 0 && seq <= session.seq && seq + 1 >= firstKept,
    );
    resumes.push({ at: Date.now(), ok, sessionId: str(p.session_id), seq, path: conn.path });
    if (!ok || !session) {
      sendOp(conn, 9, false);
      notify();
      return;
    }
    if (session.conn && session.conn !== conn) {
      session.conn.session = null;
      session.conn.ws.terminate();
    }
    session.conn = conn;
    conn.session = session;
    for (const e of session.backlog) if (e.s > seq) sendText(conn, e.text);
    dispatchTo(session, "RESUMED", { _trace: ['["fake-discord",{"micros":0}]'] });
    notify();
  }

  function onRequestMembers(conn: Connection, d: unknown): void {
    const p = isObj(d) ? d : {};
    const ids = Array.isArray(p.guild_id) ? p.guild_id.map(String) : [str(p.guild_id)];
    for (const gid of ids) {
      const g = guilds.find((x) => x.id === gid);
      if (!g || !conn.session) continue;
      const wanted = Array.isArray(p.user_ids)
        ? p.user_ids.map(String)
        : typeof p.user_ids === "string"
          ? [p.user_ids]
          : null;
      const query = str(p.query).toLowerCase();
      const limit = typeof p.limit === "number" && p.limit > 0 ? p.limit : Number.POSITIVE_INFINITY;
      const found = g.members
        .filter((m) =>
          wanted ? wanted.includes(m.user.id) : m.user.username.toLowerCase().startsWith(query),
        )
        .slice(0, limit);
      dispatchTo(conn.session, "GUILD_MEMBERS_CHUNK", {
        guild_id: g.id,
        members: found.map(memberJson),
        chunk_index: 0,
        chunk_count: 1,
        not_found: wanted ? wanted.filter((id) => !g.members.some((m) => m.user.id === id)) : [],
        ...(p.nonce !== undefined ? { nonce: p.nonce } : {}),
      });
    }
  }

  function onGatewayMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    let msg: unknown;
    try {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      msg = JSON.parse(isBinary ? buf.toString("utf8") : buf.toString());
    } catch {
      serverClose(conn, 4002, "Error while decoding payload.");
      return;
    }
    if (!isObj(msg) || typeof msg.op !== "number") {
      serverClose(conn, 4002, "Error while decoding payload.");
      return;
    }
    const d = isObj(msg.d) && "token" in msg.d ? { ...msg.d, token: "[token]" } : msg.d;
    gatewayReceived.push({ at: Date.now(), op: msg.op, d });
    switch (msg.op) {
      case 1:
        sendText(conn, JSON.stringify({ t: null, s: null, op: 11, d: null }));
        break;
      case 2:
        onIdentify(conn, msg.d);
        break;
      case 6:
        onResume(conn, msg.d);
        break;
      case 3:
      case 4:
      case 8:
        if (!conn.session) {
          serverClose(conn, 4003, "Not authenticated.");
          return;
        }
        if (msg.op === 8) onRequestMembers(conn, msg.d);
        break;
      default: {
        serverClose(conn, 4001, "Unknown opcode.");
        return;
      }
    }
    notify();
  }

  function onGatewayConnection(ws: WebSocket, req: http.IncomingMessage, url: URL): void {
    const query = Object.fromEntries(url.searchParams);
    const zlibStream = query.compress === "zlib-stream";
    const conn: Connection = {
      ws,
      path: url.pathname,
      session: null,
      deflate: null,
      pending: [],
      identifyCompress: false,
      outbox: Promise.resolve(),
      closedByServer: false,
    };
    if (zlibStream) {
      const deflate = zlib.createDeflate();
      deflate.on("data", (c: Buffer) => conn.pending.push(c));
      conn.deflate = deflate;
    }
    connections.add(conn);
    gatewayConnections.push({
      at: Date.now(),
      path: url.pathname,
      query,
      compression: zlibStream ? "zlib-stream" : "none",
      remoteAddress: req.socket.remoteAddress ?? "",
    });
    ws.on("message", (data, isBinary) => onGatewayMessage(conn, data, isBinary));
    ws.on("error", () => ws.terminate());
    req.socket.once("end", () => ws.terminate());
    ws.on("close", (code) => {
      connections.delete(conn);
      conn.deflate?.destroy();
      const s = conn.session;
      if (s && s.conn === conn) {
        s.conn = null;
        if (!conn.closedByServer && (code === 1000 || code === 1001)) s.alive = false;
      }
      notify();
    });
    if (query.v !== undefined && query.v !== "10") {
      serverClose(conn, 4012, "Invalid API version.");
      return;
    }
    if (query.encoding !== undefined && query.encoding !== "json") {
      serverClose(conn, 4002, "Error while decoding payload.");
      return;
    }
    sendOp(conn, 10, { heartbeat_interval: heartbeatInterval, _trace: ['["fake-discord",{"micros":0}]'] });
    notify();
  }

  // ----- messages -----

  function attachmentsFrom(files: RecordedFile[]): FakeAttachment[] {
    return files.map((f) => {
      const id = nextId();
      attachmentBytes.set(id, f);
      const url = `http://127.0.0.1:${port}/attachments/${id}/${encodeURIComponent(f.name)}`;
      return { id, filename: f.name, size: f.size, url, proxy_url: url, content_type: f.contentType };
    });
  }
  const normalizeEmbeds = (v: unknown): Obj[] => objects(v).map((e) => ({ type: "rich", ...e }));

  function storeMessage(
    channelId: string,
    body: Obj,
    files: RecordedFile[],
    origin: StoredMessage["origin"],
    extra: Partial<FakeMessage> = {},
  ): StoredMessage {
    const message: FakeMessage = {
      id: nextId(),
      channel_id: channelId,
      author: botUser,
      content: str(body.content),
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: body.tts === true,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: attachmentsFrom(files),
      embeds: normalizeEmbeds(body.embeds),
      components: objects(body.components),
      pinned: false,
      type: 0,
      flags: typeof body.flags === "number" ? body.flags : 0,
      ...(body.nonce !== undefined && body.nonce !== null ? { nonce: body.nonce as string | number } : {}),
      ...(isObj(body.message_reference) ? { message_reference: body.message_reference, type: 19 } : {}),
      ...extra,
    };
    const stored: StoredMessage = { message, origin, deleted: false, createdAt: Date.now() };
    allMessages.set(message.id, stored);
    if (!(message.flags & EPHEMERAL) && origin !== "synthetic") {
      const log = channelLog.get(channelId) ?? [];
      log.push(stored);
      channelLog.set(channelId, log);
    }
    return stored;
  }

  function applyEdit(m: FakeMessage, body: Obj, files: RecordedFile[]): void {
    const wasLoading = Boolean(m.flags & LOADING);
    if ("content" in body) m.content = str(body.content);
    if ("embeds" in body) m.embeds = normalizeEmbeds(body.embeds);
    if ("components" in body) m.components = objects(body.components);
    if (typeof body.flags === "number") m.flags = (m.flags & EPHEMERAL) | (body.flags & ~EPHEMERAL);
    if (Array.isArray(body.attachments)) {
      const keep = new Set(objects(body.attachments).map((a) => String(a.id)));
      m.attachments = m.attachments.filter((a) => keep.has(a.id));
    }
    m.attachments.push(...attachmentsFrom(files));
    m.flags &= ~LOADING;
    if (!wasLoading) m.edited_timestamp = new Date().toISOString();
  }

  // ----- interactions -----

  function interactionMetadata(st: InteractionState): Obj {
    const p = st.payload;
    const member = isObj(p.member) ? p.member : {};
    const data = isObj(p.data) ? p.data : {};
    return {
      id: st.id,
      type: st.type,
      user: member.user ?? p.user,
      authorizing_integration_owners: p.authorizing_integration_owners ?? {},
      ...(st.type === InteractionType.Command ? { name: data.name, command_type: data.type ?? 1 } : {}),
      ...(st.componentMessage ? { interacted_message_id: st.componentMessage.message.id } : {}),
    };
  }

  function registerInteraction(payload: Obj): InteractionState {
    const id = str(payload.id);
    const existing = interactions.get(id);
    if (existing) return existing;
    const message = isObj(payload.message) ? allMessages.get(str(payload.message.id)) : undefined;
    const st: InteractionState = {
      payload,
      id,
      token: str(payload.token),
      type: Number(payload.type),
      channelId: str(payload.channel_id),
      sentAt: Date.now(),
      callbacks: [],
      edits: [],
      followups: [],
      deletions: [],
      original: null,
      componentMessage: message ?? null,
      followupMessages: [],
    };
    interactions.set(id, st);
    interactionsByToken.set(st.token, st);
    return st;
  }

  function snapshot(st: InteractionState): InteractionResult {
    const original = st.original && !st.original.deleted ? clone(st.original.message) : null;
    const followupMessages = st.followupMessages.filter((m) => !m.deleted).map((m) => clone(m.message));
    const choicesCb = st.callbacks.find((c) => c.type === 8);
    const modalCb = st.callbacks.find((c) => c.type === 9);
    return {
      interaction: clone(st.payload),
      callbacks: clone(st.callbacks),
      edits: clone(st.edits),
      followups: clone(st.followups),
      deletions: clone(st.deletions),
      original,
      followupMessages,
      choices: choicesCb
        ? objects(choicesCb.data?.choices).map((c) => ({ name: str(c.name), value: c.value }))
        : null,
      modal: modalCb?.data ?? null,
      content: original?.content ?? null,
      text: [original, ...followupMessages]
        .map(messageText)
        .filter((t) => t !== "")
        .join("\n"),
      ephemeral: isEphemeral(original),
    };
  }

  function messageType(st: InteractionState): number {
    if (st.type !== InteractionType.Command) return 0;
    const data = isObj(st.payload.data) ? st.payload.data : {};
    return data.type === 2 || data.type === 3 ? 23 : 20;
  }

  function onCallback(c: Ctx): Reply {
    const st = interactions.get(c.params.id!);
    const unknown = errorReply(404, 10062, "Unknown interaction");
    if (!st || st.token !== c.params.token) return unknown;
    if (Date.now() - st.sentAt > deadlineMs) return unknown;
    if (st.callbacks.length > 0) return errorReply(400, 40060, "Interaction has already been acknowledged.");
    const body = isObj(c.body) ? c.body : {};
    const type = Number(body.type);
    const data = isObj(body.data) ? body.data : null;
    if (!(ALLOWED_CALLBACKS[st.type] ?? []).includes(type))
      return invalidForm([
        {
          path: "type",
          code: "INTERACTION_RESPONSE_TYPE_INVALID",
          message: `Callback type ${type} is not valid for interaction type ${st.type}`,
        },
      ]);
    const bad = callbackError(type, data, c.files.length, st);
    if (bad) return bad;
    st.callbacks.push({ at: Date.now(), type, data, withResponse: c.query.get("with_response") === "true" });
    const metadata = interactionMetadata(st);
    if (type === 4 || type === 5) {
      const flags = (typeof data?.flags === "number" ? data.flags : 0) | (type === 5 ? LOADING : 0);
      const body4 = type === 4 ? { ...data, flags } : { flags };
      st.original = storeMessage(st.channelId, body4, type === 4 ? c.files : [], "interaction", {
        type: messageType(st),
        webhook_id: appId,
        application_id: appId,
        interaction_metadata: metadata,
        interaction: { id: st.id, type: st.type, name: metadata.name ?? "", user: metadata.user },
      });
    } else if ((type === 6 || type === 7) && st.componentMessage) {
      st.original = st.componentMessage;
      if (type === 7 && data) applyEdit(st.componentMessage.message, data, c.files);
    }
    if (c.query.get("with_response") !== "true") return { status: 204 };
    const msg =
      st.original && (type === 4 || type === 5 || type === 7) ? clone(st.original.message) : undefined;
    return {
      status: 200,
      body: {
        interaction: {
          id: st.id,
          type: st.type,
          activity_instance_id: null,
          response_message_id: msg?.id ?? null,
          response_message_loading: type === 5,
          response_message_ephemeral: isEphemeral(msg),
        },
        resource: { type, ...(msg ? { message: msg } : {}) },
      },
    };
  }

  function callbackError(type: number, data: Obj | null, files: number, st: InteractionState): Reply | null {
    if (type === 4) return checkMessage(data, "data.", { partial: false, files });
    if (type === 7) {
      if (!st.componentMessage && st.type !== InteractionType.Component) return null;
      return checkMessage(data, "data.", { partial: true, files });
    }
    if (type === 8) {
      const errs: FormError[] = [];
      const choices = objects(data?.choices);
      if (choices.length > 25)
        errs.push({
          path: "data.choices",
          code: "BASE_TYPE_MAX_LENGTH",
          message: "Must be 25 or fewer in length.",
        });
      choices.forEach((ch, i) => {
        checkLength(errs, `data.choices.${i}.name`, ch.name, 1, 100);
        if (typeof ch.value === "string") checkLength(errs, `data.choices.${i}.value`, ch.value, 1, 100);
      });
      return errs.length > 0 ? invalidForm(errs) : null;
    }
    if (type === 9) {
      const errs: FormError[] = [];
      checkLength(errs, "data.custom_id", data?.custom_id, 1, 100);
      checkLength(errs, "data.title", data?.title, 1, 45);
      const n = objects(data?.components).length;
      if (n < 1 || n > 5)
        errs.push({
          path: "data.components",
          code: "BASE_TYPE_BAD_LENGTH",
          message: "Must be between 1 and 5 in length.",
        });
      return errs.length > 0 ? invalidForm(errs) : null;
    }
    return null;
  }

  type Located = { ok: true; st: InteractionState } | { ok: false; reply: Reply };

  function webhookInteraction(c: Ctx): Located {
    const st = interactionsByToken.get(c.params.token!);
    if (c.params.app !== appId || !st) return { ok: false, reply: errorReply(404, 10015, "Unknown Webhook") };
    if (Date.now() - st.sentAt > tokenLifetimeMs)
      return { ok: false, reply: errorReply(401, 50027, "Invalid Webhook Token") };
    return { ok: true, st };
  }

  function webhookMessage(st: InteractionState, messageId: string): StoredMessage | null {
    const original = st.original && !st.original.deleted ? st.original : null;
    if (messageId === "@original" || messageId === original?.message.id) return original;
    return st.followupMessages.find((m) => m.message.id === messageId && !m.deleted) ?? null;
  }

  // ----- REST routes -----

  const ok = (body: unknown): Reply => ({ status: 200, body });
  const unknownChannel = errorReply(404, 10003, "Unknown Channel");
  const missingAccess = errorReply(403, 50001, "Missing Access");
  const missingPermissions = errorReply(403, 50013, "Missing Permissions");
  const unknownMessage = errorReply(404, 10008, "Unknown Message");

  function visibleChannel(id: string): { ok: true; ch: FakeChannel } | { ok: false; reply: Reply } {
    const ch = channelById(id);
    if (!ch || ch.deleted) return { ok: false, reply: unknownChannel };
    if (!(botPermissionsIn(ch) & Permission.ViewChannel)) return { ok: false, reply: missingAccess };
    return { ok: true, ch };
  }
  const channelMessage = (ch: FakeChannel, id: string): StoredMessage | undefined =>
    (channelLog.get(ch.id) ?? []).find((m) => m.message.id === id && !m.deleted);

  function commandList(c: Ctx): { ok: true; list: Obj[]; guildId?: string } | { ok: false; reply: Reply } {
    if (c.params.app !== appId) return { ok: false, reply: missingAccess };
    const gid = c.params.guild;
    if (gid === undefined) return { ok: true, list: globalCommands };
    if (!guilds.some((g) => g.id === gid))
      return { ok: false, reply: errorReply(404, 10004, "Unknown Guild") };
    const list = guildCommands.get(gid) ?? [];
    guildCommands.set(gid, list);
    return { ok: true, list, guildId: gid };
  }

  function storedCommand(input: Obj, existing: Obj | undefined, guildId: string | undefined): Obj {
    const type = typeof input.type === "number" ? input.type : 1;
    return {
      id: existing?.id ?? nextId(),
      application_id: appId,
      version: nextId(),
      type,
      name: input.name,
      name_localizations: input.name_localizations ?? null,
      description: input.description ?? "",
      description_localizations: input.description_localizations ?? null,
      default_member_permissions: input.default_member_permissions ?? null,
      dm_permission: input.dm_permission ?? true,
      nsfw: input.nsfw ?? false,
      integration_types: input.integration_types ?? [0],
      contexts: input.contexts ?? null,
      ...(Array.isArray(input.options) ? { options: input.options } : {}),
      ...(guildId ? { guild_id: guildId } : {}),
    };
  }
  const sameCommand = (a: Obj, b: Obj): boolean => a.name === b.name && (a.type ?? 1) === (b.type ?? 1);

  function putCommands(c: Ctx): Reply {
    const at = commandList(c);
    if (!at.ok) return at.reply;
    if (!Array.isArray(c.body))
      return invalidForm([{ path: "", code: "BASE_TYPE_ARRAY", message: "Must be an array." }]);
    const input = objects(c.body);
    const errs: FormError[] = [];
    for (const [i, cmd] of input.entries()) checkCommand(errs, `${i}.`, cmd);
    if (input.filter((x) => (x.type ?? 1) === 1).length > 100)
      errs.push({ path: "", code: "BASE_TYPE_MAX_LENGTH", message: "Must be 100 or fewer in length." });
    input.forEach((cmd, i) => {
      if (input.findIndex((x) => sameCommand(x, cmd)) !== i)
        errs.push({
          path: `${i}.name`,
          code: "APPLICATION_COMMANDS_DUPLICATE_NAME",
          message: "Application command names must be unique",
        });
    });
    if (errs.length > 0) return invalidForm(errs);
    const next = input.map((cmd) =>
      storedCommand(
        cmd,
        at.list.find((x) => sameCommand(x, cmd)),
        at.guildId,
      ),
    );
    at.list.splice(0, at.list.length, ...next);
    return ok(clone(next));
  }

  function postCommand(c: Ctx): Reply {
    const at = commandList(c);
    if (!at.ok) return at.reply;
    const cmd = isObj(c.body) ? c.body : {};
    const errs: FormError[] = [];
    checkCommand(errs, "", cmd);
    if (errs.length > 0) return invalidForm(errs);
    const index = at.list.findIndex((x) => sameCommand(x, cmd));
    const stored = storedCommand(cmd, at.list[index], at.guildId);
    if (index >= 0) at.list[index] = stored;
    else at.list.push(stored);
    return { status: index >= 0 ? 200 : 201, body: clone(stored) };
  }

  function oneCommand(c: Ctx, method: "GET" | "PATCH" | "DELETE"): Reply {
    const at = commandList(c);
    if (!at.ok) return at.reply;
    const index = at.list.findIndex((x) => x.id === c.params.cmd);
    if (index < 0) return errorReply(404, 10063, "Unknown application command");
    if (method === "GET") return ok(clone(at.list[index]));
    if (method === "DELETE") {
      at.list.splice(index, 1);
      return { status: 204 };
    }
    const merged = { ...at.list[index], ...(isObj(c.body) ? c.body : {}) };
    const errs: FormError[] = [];
    checkCommand(errs, "", merged);
    if (errs.length > 0) return invalidForm(errs);
    at.list[index] = storedCommand(merged, at.list[index], at.guildId);
    return ok(clone(at.list[index]));
  }

  function createChannelMessage(c: Ctx): Reply {
    const v = visibleChannel(c.params.channel!);
    if (!v.ok) return v.reply;
    if (!(botPermissionsIn(v.ch) & Permission.SendMessages)) return missingPermissions;
    const body = isObj(c.body) ? c.body : {};
    const bad = checkMessage(body, "", { partial: false, files: c.files.length });
    if (bad) return bad;
    const nonceKey = body.enforce_nonce === true && body.nonce != null ? String(body.nonce) : null;
    if (nonceKey) {
      const hit = nonces.get(nonceKey);
      if (hit && Date.now() - hit.at < nonceWindowMs && !hit.stored.deleted)
        return ok(clone(hit.stored.message));
    }
    const stored = storeMessage(v.ch.id, body, c.files, "channel");
    if (nonceKey) nonces.set(nonceKey, { at: Date.now(), stored });
    return ok(clone(stored.message));
  }

  function webhookRoute(c: Ctx, method: "GET" | "PATCH" | "DELETE"): Reply {
    const at = webhookInteraction(c);
    if (!at.ok) return at.reply;
    const st = at.st;
    const stored = webhookMessage(st, c.params.msg!);
    if (!stored) return unknownMessage;
    if (method === "GET") return ok(clone(stored.message));
    if (method === "DELETE") {
      stored.deleted = true;
      st.deletions.push({ at: Date.now(), messageId: c.params.msg! });
      return { status: 204 };
    }
    const body = isObj(c.body) ? c.body : {};
    const bad = checkMessage(body, "", { partial: true, files: c.files.length });
    if (bad) return bad;
    applyEdit(stored.message, body, c.files);
    st.edits.push({ at: Date.now(), messageId: c.params.msg!, body, files: c.files });
    return ok(clone(stored.message));
  }

  function followup(c: Ctx): Reply {
    const at = webhookInteraction(c);
    if (!at.ok) return at.reply;
    const st = at.st;
    if (st.callbacks.length === 0) return errorReply(404, 10015, "Unknown Webhook");
    const body = isObj(c.body) ? c.body : {};
    const bad = checkMessage(body, "", { partial: false, files: c.files.length });
    if (bad) return bad;
    const stored = storeMessage(st.channelId, body, c.files, "interaction", {
      type: 0,
      webhook_id: appId,
      application_id: appId,
      interaction_metadata: interactionMetadata(st),
    });
    st.followupMessages.push(stored);
    st.followups.push({ at: Date.now(), messageId: stored.message.id, body, files: c.files });
    return c.query.get("wait") === "true" ? ok(clone(stored.message)) : { status: 204 };
  }

  const gatewayBot = (): Reply =>
    ok({
      url: gatewayUrl,
      shards: opts.recommendedShards ?? 1,
      session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
    });

  const routeTable: Array<[string, string, boolean, (c: Ctx) => Reply]> = [
    ["GET", "/gateway", false, () => ok({ url: gatewayUrl })],
    ["GET", "/gateway/bot", true, gatewayBot],
    ["GET", "/users/@me", true, () => ok({ ...botUser, verified: true, mfa_enabled: false, email: null })],
    [
      "GET",
      "/users/:user",
      true,
      (c) => {
        const u = [...users.values()].find((x) => x.id === c.params.user);
        return u ? ok(u) : errorReply(404, 10013, "Unknown User");
      },
    ],
    ["GET", "/applications/@me", true, () => ok(applicationJson())],
    ["GET", "/oauth2/applications/@me", true, () => ok(applicationJson())],
    [
      "GET",
      "/applications/:app/commands",
      true,
      (c) => {
        const at = commandList(c);
        return at.ok ? ok(clone(at.list)) : at.reply;
      },
    ],
    ["PUT", "/applications/:app/commands", true, putCommands],
    ["POST", "/applications/:app/commands", true, postCommand],
    ["GET", "/applications/:app/commands/:cmd", true, (c) => oneCommand(c, "GET")],
    ["PATCH", "/applications/:app/commands/:cmd", true, (c) => oneCommand(c, "PATCH")],
    ["DELETE", "/applications/:app/commands/:cmd", true, (c) => oneCommand(c, "DELETE")],
    [
      "GET",
      "/applications/:app/guilds/:guild/commands",
      true,
      (c) => {
        const at = commandList(c);
        return at.ok ? ok(clone(at.list)) : at.reply;
      },
    ],
    ["PUT", "/applications/:app/guilds/:guild/commands", true, putCommands],
    ["POST", "/applications/:app/guilds/:guild/commands", true, postCommand],
    ["GET", "/applications/:app/guilds/:guild/commands/:cmd", true, (c) => oneCommand(c, "GET")],
    ["PATCH", "/applications/:app/guilds/:guild/commands/:cmd", true, (c) => oneCommand(c, "PATCH")],
    ["DELETE", "/applications/:app/guilds/:guild/commands/:cmd", true, (c) => oneCommand(c, "DELETE")],
    ["POST", "/interactions/:id/:token/callback", false, onCallback],
    ["POST", "/webhooks/:app/:token", false, followup],
    ["GET", "/webhooks/:app/:token/messages/:msg", false, (c) => webhookRoute(c, "GET")],
    ["PATCH", "/webhooks/:app/:token/messages/:msg", false, (c) => webhookRoute(c, "PATCH")],
    ["DELETE", "/webhooks/:app/:token/messages/:msg", false, (c) => webhookRoute(c, "DELETE")],
    [
      "GET",
      "/channels/:channel",
      true,
      (c) => {
        const v = visibleChannel(c.params.channel!);
        return v.ok ? ok(channelJson(v.ch)) : v.reply;
      },
    ],
    [
      "GET",
      "/channels/:channel/messages",
      true,
      (c) => {
        const v = visibleChannel(c.params.channel!);
        if (!v.ok) return v.reply;
        if (!(botPermissionsIn(v.ch) & Permission.ReadMessageHistory)) return ok([]);
        const limit = Math.min(100, Math.max(1, Number(c.query.get("limit") ?? 50) || 50));
        const list = (channelLog.get(v.ch.id) ?? []).filter((m) => !m.deleted).map((m) => clone(m.message));
        return ok(list.reverse().slice(0, limit));
      },
    ],
    ["POST", "/channels/:channel/messages", true, createChannelMessage],
    [
      "GET",
      "/channels/:channel/messages/:msg",
      true,
      (c) => {
        const v = visibleChannel(c.params.channel!);
        if (!v.ok) return v.reply;
        if (!(botPermissionsIn(v.ch) & Permission.ReadMessageHistory)) return missingAccess;
        const m = channelMessage(v.ch, c.params.msg!);
        return m ? ok(clone(m.message)) : unknownMessage;
      },
    ],
    [
      "PATCH",
      "/channels/:channel/messages/:msg",
      true,
      (c) => {
        const v = visibleChannel(c.params.channel!);
        if (!v.ok) return v.reply;
        const m = channelMessage(v.ch, c.params.msg!);
        if (!m) return unknownMessage;
        const body = isObj(c.body) ? c.body : {};
        const bad = checkMessage(body, "", { partial: true, files: c.files.length });
        if (bad) return bad;
        applyEdit(m.message, body, c.files);
        return ok(clone(m.message));
      },
    ],
    [
      "DELETE",
      "/channels/:channel/messages/:msg",
      true,
      (c) => {
        const v = visibleChannel(c.params.channel!);
        if (!v.ok) return v.reply;
        const m = channelMessage(v.ch, c.params.msg!);
        if (!m) return unknownMessage;
        m.deleted = true;
        return { status: 204 };
      },
    ],
    [
      "POST",
      "/channels/:channel/typing",
      true,
      (c) => {
        const v = visibleChannel(c.params.channel!);
        return v.ok ? { status: 204 } : v.reply;
      },
    ],
    [
      "GET",
      "/guilds/:guild",
      true,
      (c) => {
        const g = guilds.find((x) => x.id === c.params.guild);
        return g ? ok(guildJson(g, false)) : errorReply(404, 10004, "Unknown Guild");
      },
    ],
    [
      "GET",
      "/guilds/:guild/channels",
      true,
      (c) => {
        const g = guilds.find((x) => x.id === c.params.guild);
        return g
          ? ok(g.channels.filter((x) => !x.deleted).map(channelJson))
          : errorReply(404, 10004, "Unknown Guild");
      },
    ],
    [
      "GET",
      "/guilds/:guild/roles",
      true,
      (c) => {
        const g = guilds.find((x) => x.id === c.params.guild);
        return g ? ok(g.roles.map(roleJson)) : errorReply(404, 10004, "Unknown Guild");
      },
    ],
    [
      "GET",
      "/guilds/:guild/members/:user",
      true,
      (c) => {
        const g = guilds.find((x) => x.id === c.params.guild);
        if (!g) return errorReply(404, 10004, "Unknown Guild");
        const m = g.members.find((x) => x.user.id === c.params.user);
        return m ? ok(memberJson(m)) : errorReply(404, 10007, "Unknown Member");
      },
    ],
  ];
  const routes: Route[] = routeTable.map(([method, pattern, auth, handle]) => ({
    method,
    segments: pattern.split("/").filter(Boolean),
    auth,
    handle,
  }));

  function route(
    method: string,
    segments: string[],
    auth: RecordedRequest["auth"],
    ctx: Omit<Ctx, "params">,
  ): Reply {
    let pathKnown = false;
    for (const r of routes) {
      const params = matchSegments(r.segments, segments);
      if (!params) continue;
      pathKnown = true;
      if (r.method !== method) continue;
      if (r.auth && auth !== "bot") return errorReply(401, 0, "401: Unauthorized");
      return r.handle({ ...ctx, params });
    }
    return pathKnown ? errorReply(405, 0, "405: Method Not Allowed") : errorReply(404, 0, "404: Not Found");
  }

  function rateLimitHeaders(bucket: string): Record<string, string> {
    return {
      "x-ratelimit-limit": "50",
      "x-ratelimit-remaining": "49",
      "x-ratelimit-reset": (Date.now() / 1000 + 1).toFixed(3),
      "x-ratelimit-reset-after": "1.000",
      "x-ratelimit-bucket": Buffer.from(bucket).toString("hex").slice(0, 32),
    };
  }

  async function handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    // The CDN: an attachment's bytes at its url (/attachments/<id>/<name>), no token needed.
    const cdn = /^\/attachments\/(\d+)\/[^/]+$/.exec(url.pathname);
    if (cdn && method === "GET") {
      const file = attachmentBytes.get(cdn[1] as string);
      if (!file) res.writeHead(404).end();
      else
        res.writeHead(200, { "content-type": file.contentType || "application/octet-stream" }).end(file.data);
      return;
    }
    const raw = await readAll(req);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (k !== "authorization" && v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    const authHeader = req.headers.authorization;
    const auth: RecordedRequest["auth"] =
      authHeader === undefined ? "none" : authHeader === `Bot ${token}` ? "bot" : "wrong";
    const parsed = await parseBody(str(req.headers["content-type"]), raw).catch(() => ({
      body: null,
      files: [] as RecordedFile[],
      invalid: true,
    }));
    const prefix = "/api/v10";
    const versioned = url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
    const record: RecordedRequest = {
      at: Date.now(),
      method,
      path: url.pathname,
      route: decodePath(versioned ? url.pathname.slice(prefix.length) || "/" : url.pathname),
      query: Object.fromEntries(url.searchParams),
      headers,
      auth,
      body: parsed.body,
      files: parsed.files,
      status: 0,
      response: undefined,
    };
    requests.push(record);
    let reply: Reply;
    const injected = injections.find((i) => i.remaining > 0 && i.match(record));
    if (injected) {
      injected.remaining -= 1;
      reply = injected.reply;
    } else if (!versioned) {
      reply = errorReply(404, 0, "404: Not Found");
    } else if (parsed.invalid) {
      reply = errorReply(400, 50109, "The request body contains invalid JSON.");
    } else {
      const segments = record.route.split("/").filter(Boolean);
      try {
        reply = route(method, segments, auth, {
          query: url.searchParams,
          body: parsed.body,
          files: parsed.files,
        });
      } catch (err) {
        reply = errorReply(500, 0, `500: Internal Server Error (fake: ${(err as Error).message})`);
      }
    }
    record.status = reply.status;
    record.response = reply.body;
    const out: Record<string, string> = { ...rateLimitHeaders(record.route), ...reply.headers };
    if (reply.status === 204 || reply.body === undefined) {
      res.writeHead(reply.status, out).end();
    } else {
      res
        .writeHead(reply.status, { ...out, "content-type": "application/json" })
        .end(JSON.stringify(reply.body));
    }
    notify();
  }

  // ----- server -----

  const server = http.createServer((req, res) => {
    if (networkDelayMs > 0) {
      // The request reaches "Discord" later, and its answer reaches the bot later still.
      const end = res.end.bind(res) as (...a: unknown[]) => http.ServerResponse;
      res.end = ((...a: unknown[]) => {
        setTimeout(() => end(...a), networkDelayMs);
        return res;
      }) as typeof res.end;
      setTimeout(() => serve(req, res), networkDelayMs);
    } else serve(req, res);
  });
  const serve = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handleHttp(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end('{"message":"500: Internal Server Error","code":0}');
    });
  };
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (closed || (url.pathname !== "/" && url.pathname !== "/resume")) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onGatewayConnection(ws, req, url));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const apiUrl = `http://127.0.0.1:${port}/api`;
  const gatewayUrl = `ws://127.0.0.1:${port}`;
  const resumeGatewayUrl = `ws://127.0.0.1:${port}/resume`;

  // ----- driving -----

  function waitFor<T>(check: () => T, timeoutMs = 5000, what = "a condition"): Promise<Truthy<T>> {
    return new Promise<Truthy<T>>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void): void => {
        if (done) return;
        done = true;
        waiters.delete(run);
        closeListeners.delete(onClose);
        clearTimeout(timer);
        clearInterval(poll);
        fn();
      };
      const run = (): void => {
        if (done) return;
        try {
          const v = check();
          if (v) finish(() => resolve(v as Truthy<T>));
        } catch (err) {
          finish(() => reject(err));
        }
      };
      const onClose = (): void =>
        finish(() => reject(new Error(`fake Discord closed while waiting for ${what}`)));
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`fake Discord: timed out after ${timeoutMs} ms waiting for ${what}`)),
          ),
        timeoutMs,
      );
      const poll = setInterval(run, 25);
      waiters.add(run);
      closeListeners.add(onClose);
      run();
    });
  }

  function resolveChannel(guild: FakeGuild, nameOrId?: string): FakeChannel {
    const ch = nameOrId
      ? guild.channels.find((c) => c.id === nameOrId || c.name === nameOrId)
      : guild.channels.find((c) => !c.deleted && c.type === TEXT_CHANNEL);
    if (!ch) throw new Error(`fake Discord: no channel "${nameOrId ?? "(text)"}" in guild ${guild.name}`);
    return ch;
  }

  function buildInteraction(spec: InteractionSpec): Obj {
    const guild = guildById(spec.guildId);
    const channel = resolveChannel(guild, spec.channelId ?? spec.message?.channel_id);
    const member = findMember(guild, spec.user ?? "member");
    const perms = channelPermissions(guild, member, channel);
    const id = nextId();
    return {
      app_permissions: botPermissionsIn(channel).toString(),
      application_id: appId,
      attachment_size_limit: 10_485_760,
      authorizing_integration_owners: { "0": guild.id },
      channel: { ...channelJson(channel), permissions: perms.toString() },
      channel_id: channel.id,
      context: 0,
      ...(spec.data ? { data: spec.data } : {}),
      entitlements: [],
      entitlement_sku_ids: [],
      guild: { id: guild.id, locale: "en-US", features: [] },
      guild_id: guild.id,
      guild_locale: "en-US",
      id,
      locale: spec.locale ?? "en-US",
      member: { ...memberJson(member), permissions: perms.toString() },
      ...(spec.message ? { message: spec.message } : {}),
      token: interactionToken(id),
      type: spec.type,
      version: 1,
      ...spec.overrides,
    };
  }

  function sendInteraction(spec: InteractionSpec): Obj {
    const payload = buildInteraction(spec);
    if (liveSessions(str(payload.guild_id)).length === 0)
      throw new Error(
        "fake Discord: no bot session is connected to the gateway (await waitForReady() first)",
      );
    const st = registerInteraction(payload);
    if (spec.ageMs) st.sentAt -= spec.ageMs;
    dispatchAll("INTERACTION_CREATE", payload, str(payload.guild_id));
    return payload;
  }

  function collect(st: InteractionState, o: InteractOptions = {}): Promise<InteractionResult> {
    const until = o.until ?? answered;
    const timeoutMs = o.timeoutMs ?? 5000;
    const data = isObj(st.payload.data) ? st.payload.data : {};
    const label = `${str(data.name) || str(data.custom_id) || `type ${st.type}`} (${st.id})`;
    return waitFor(
      () => {
        const r = snapshot(st);
        return until(r) ? r : null;
      },
      timeoutMs,
      `the bot's answer to interaction ${label}`,
    ).catch((err: Error) => {
      if (o.resolveOnTimeout && !closed) return snapshot(st);
      const r = snapshot(st);
      throw new Error(
        `${err.message}; got callbacks [${r.callbacks.map((c) => c.type).join(", ")}], ` +
          `${r.edits.length} edit(s), ${r.followups.length} followup(s)`,
      );
    });
  }

  function interact(spec: InteractionSpec, o?: InteractOptions): Promise<InteractionResult> {
    try {
      const payload = sendInteraction(spec);
      return collect(interactions.get(str(payload.id))!, o);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  function findCommand(name: string, guildId: string): Obj {
    const cmd =
      (guildCommands.get(guildId) ?? []).find((c) => c.name === name && c.type === 1) ??
      globalCommands.find((c) => c.name === name && c.type === 1);
    if (!cmd) {
      const known = [...(guildCommands.get(guildId) ?? []), ...globalCommands].map((c) => `/${str(c.name)}`);
      throw new Error(`fake Discord: /${name} is not registered (registered: ${known.join(", ") || "none"})`);
    }
    return cmd;
  }

  /** The option definitions a value list applies to, and the wrapping subcommand/group path. */
  function locate(cmd: Obj, subcommand: string | null | undefined): { path: Obj[]; defs: Obj[] } {
    const top = objects(cmd.options);
    const nested = top.some((o) => o.type === 1 || o.type === 2);
    const name = str(cmd.name);
    if (!nested) {
      if (subcommand) throw new Error(`fake Discord: /${name} has no subcommands`);
      return { path: [], defs: top };
    }
    const subs = top.map((o) => str(o.name)).join(", ");
    if (!subcommand) throw new Error(`fake Discord: /${name} needs a subcommand (one of: ${subs})`);
    const parts = subcommand.trim().split(/\s+/);
    if (parts.length === 1) {
      const sub = top.find((o) => o.type === 1 && o.name === parts[0]);
      if (!sub) throw new Error(`fake Discord: /${name} has no subcommand "${subcommand}" (has: ${subs})`);
      return { path: [sub], defs: objects(sub.options) };
    }
    const group = top.find((o) => o.type === 2 && o.name === parts[0]);
    const sub = objects(group?.options).find((o) => o.type === 1 && o.name === parts[1]);
    if (!group || !sub) throw new Error(`fake Discord: /${name} has no subcommand "${subcommand}"`);
    return { path: [group, sub], defs: objects(sub.options) };
  }

  function wrap(path: Obj[], leaf: Obj[]): Obj[] {
    let options = leaf;
    for (const def of [...path].reverse()) options = [{ type: def.type, name: def.name, options }];
    return options;
  }

  function resolveValue(
    def: Obj,
    value: OptionValue,
    guild: FakeGuild,
    resolved: Record<string, Obj>,
  ): OptionValue {
    const where = `option "${str(def.name)}"`;
    const fail = (why: string): never => {
      throw new Error(`fake Discord: ${where} ${why} (got ${JSON.stringify(value)})`);
    };
    const add = (kind: string, id: string, v: Obj): void => {
      const bucket = resolved[kind] ?? {};
      bucket[id] = v;
      resolved[kind] = bucket;
    };
    const choices = objects(def.choices);
    if (choices.length > 0 && !choices.some((c) => c.value === value))
      fail(`must be one of ${choices.map((c) => JSON.stringify(c.value)).join(", ")}`);
    switch (def.type) {
      case 3:
        if (typeof value !== "string") fail("takes a string");
        if (typeof def.min_length === "number" && [...String(value)].length < def.min_length)
          fail("is too short");
        if (typeof def.max_length === "number" && [...String(value)].length > def.max_length)
          fail("is too long");
        return value;
      case 4:
      case 10:
        if (typeof value !== "number" || (def.type === 4 && !Number.isInteger(value))) fail("takes a number");
        if (typeof def.min_value === "number" && Number(value) < def.min_value)
          fail(`is below ${def.min_value}`);
        if (typeof def.max_value === "number" && Number(value) > def.max_value)
          fail(`is above ${def.max_value}`);
        return value;
      case 5:
        if (typeof value !== "boolean") fail("takes a boolean");
        return value;
      case 6:
      case 9: {
        const m = guild.members.find((x) => x.key === value || x.user.id === value);
        const role = def.type === 9 ? guild.roles.find((r) => r.id === value || r.name === value) : undefined;
        if (m) {
          add("users", m.user.id, m.user);
          const { user: _user, deaf: _deaf, mute: _mute, ...rest } = memberJson(m);
          add("members", m.user.id, { ...rest, permissions: basePermissions(guild, m).toString() });
          return m.user.id;
        }
        if (role) {
          add("roles", role.id, roleJson(role));
          return role.id;
        }
        return fail("names no member");
      }
      case 7: {
        const ch = guild.channels.find((c) => c.id === value || c.name === value);
        if (!ch) return fail("names no channel");
        add("channels", ch.id, {
          id: ch.id,
          name: ch.name,
          type: ch.type,
          parent_id: null,
          permissions: ALL_PERMISSIONS.toString(),
          flags: 0,
          guild_id: ch.guildId,
          last_message_id: null,
          nsfw: false,
          position: ch.position,
          rate_limit_per_user: 0,
          topic: null,
        });
        return ch.id;
      }
      case 8: {
        const role = guild.roles.find((r) => r.id === value || r.name === value);
        if (!role) return fail("names no role");
        add("roles", role.id, roleJson(role));
        return role.id;
      }
      default:
        return fail(`has type ${String(def.type)}, which the fake cannot fill`);
    }
  }

  function optionValues(
    defs: Obj[],
    values: Record<string, OptionValue>,
    guild: FakeGuild,
    resolved: Record<string, Obj>,
    focused?: { name: string; value: OptionValue },
  ): Obj[] {
    const given = { ...values, ...(focused ? { [focused.name]: focused.value } : {}) };
    for (const key of Object.keys(given))
      if (!defs.some((d) => d.name === key))
        throw new Error(
          `fake Discord: unknown option "${key}" (options: ${defs.map((d) => str(d.name)).join(", ") || "none"})`,
        );
    if (!focused)
      for (const d of defs)
        if (d.required === true && !(str(d.name) in given))
          throw new Error(`fake Discord: required option "${str(d.name)}" is missing`);
    return defs
      .filter((d) => str(d.name) in given)
      .map((d) => {
        const name = str(d.name);
        if (focused && name === focused.name) {
          if (d.autocomplete !== true) throw new Error(`fake Discord: option "${name}" has no autocomplete`);
          return { type: d.type, name, value: focused.value, focused: true };
        }
        return { type: d.type, name, value: resolveValue(d, given[name]!, guild, resolved) };
      });
  }

  function commandData(
    name: string,
    subcommand: string | null | undefined,
    values: Record<string, OptionValue>,
    guild: FakeGuild,
    focused?: { name: string; value: OptionValue },
  ): Obj {
    const cmd = findCommand(name, guild.id);
    const { path, defs } = locate(cmd, subcommand);
    const resolved: Record<string, Obj> = {};
    const leaf = optionValues(defs, values, guild, resolved, focused);
    const options = path.length > 0 ? wrap(path, leaf) : leaf;
    return {
      id: cmd.id,
      name: cmd.name,
      type: 1,
      ...(typeof cmd.guild_id === "string" ? { guild_id: cmd.guild_id } : {}),
      ...(options.length > 0 ? { options } : {}),
      ...(Object.keys(resolved).length > 0 ? { resolved } : {}),
    };
  }

  function componentMessage(
    customId: string,
    o: ComponentOptions,
  ): { stored: StoredMessage; component: Obj } {
    const has = (m: StoredMessage): Obj | undefined =>
      allComponents(m.message.components).find((c) => c.custom_id === customId);
    if (o.messageId) {
      const m = allMessages.get(o.messageId);
      if (!m || m.deleted) throw new Error(`fake Discord: no message ${o.messageId}`);
      const component = has(m);
      if (!component) throw new Error(`fake Discord: message ${o.messageId} has no component "${customId}"`);
      return { stored: m, component };
    }
    const found = [...allMessages.values()].reverse().find((m) => !m.deleted && has(m));
    if (found) return { stored: found, component: has(found)! };
    const guild = guildById(o.guildId);
    const ch = resolveChannel(guild, o.channelId);
    const component = { type: 2, style: 1, label: customId, custom_id: customId };
    const stored = storeMessage(
      ch.id,
      { content: "", components: [{ type: 1, components: [component] }] },
      [],
      "synthetic",
    );
    return { stored, component };
  }

  function componentInteraction(
    customId: string,
    o: ComponentOptions,
    values?: string[],
  ): Promise<InteractionResult> {
    try {
      const { stored, component } = componentMessage(customId, o);
      const data: Obj = { custom_id: customId, component_type: component.type };
      if (values) {
        if (component.type === 2)
          throw new Error(`fake Discord: "${customId}" is a button, not a select menu`);
        data.values = values;
      } else if (component.type !== 2) throw new Error(`fake Discord: "${customId}" is not a button`);
      return interact(
        {
          type: InteractionType.Component,
          data,
          message: clone(stored.message),
          user: o.user,
          guildId: o.guildId,
          channelId: stored.message.channel_id,
          locale: o.locale,
        },
        o,
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  function dispatchChannelEvent(t: string, ch: FakeChannel, silent?: boolean): void {
    if (!silent) dispatchAll(t, channelJson(ch), ch.guildId);
    notify();
  }

  function mustChannel(id: string): FakeChannel {
    const ch = channelById(id);
    if (!ch) throw new Error(`fake Discord: no channel ${id}`);
    return ch;
  }

  const fake: FakeDiscord = {
    port,
    apiUrl,
    gatewayUrl,
    resumeGatewayUrl,
    token,
    appId,
    botUserId,
    botUser,
    guildId: primary.id,
    guilds,
    requests,
    gatewayConnections,
    identifies,
    resumes,
    gatewayReceived,
    dispatched,

    guild: (id) => guildById(id),
    channelId: (nameOrId, guildId) => resolveChannel(guildById(guildId), nameOrId).id,
    channel: (id) => channelById(id),
    userId: (key) => {
      const u = users.get(key);
      if (!u) throw new Error(`fake Discord: no user "${key}"`);
      return u.id;
    },
    member: (key, guildId) => findMember(guildById(guildId), key),
    addMember(key, o = {}) {
      if (users.has(key)) throw new Error(`fake Discord: member "${key}" exists`);
      users.set(key, userJson(nextId(), o.username ?? key));
      if (o.admin) adminKeys.add(key);
      for (const g of guilds) {
        const m = makeMember(g, key);
        g.members.push(m);
        dispatchAll("GUILD_MEMBER_ADD", { ...memberJson(m), guild_id: g.id }, g.id);
      }
      return findMember(primary, key);
    },
    addChannel(name, guildId) {
      const g = guildById(guildId);
      const ch: FakeChannel = {
        id: nextId(),
        guildId: g.id,
        name,
        type: TEXT_CHANNEL,
        position: g.channels.length,
        overwrites: [],
        deleted: false,
      };
      g.channels.push(ch);
      dispatchChannelEvent("CHANNEL_CREATE", ch);
      return ch;
    },
    deleteChannel(id, o = {}) {
      const ch = mustChannel(id);
      ch.deleted = true;
      dispatchChannelEvent("CHANNEL_DELETE", ch, o.silent);
    },
    denyChannel(id, o = {}) {
      const ch = mustChannel(id);
      const deny = Permission.SendMessages | (o.view === false ? Permission.ViewChannel : 0n);
      ch.overwrites = ch.overwrites.filter((x) => !(x.type === 1 && x.id === botUserId));
      ch.overwrites.push({ id: botUserId, type: 1, allow: 0n, deny });
      dispatchChannelEvent("CHANNEL_UPDATE", ch, o.silent);
    },
    allowChannel(id, o = {}) {
      const ch = mustChannel(id);
      ch.overwrites = ch.overwrites.filter((x) => !(x.type === 1 && x.id === botUserId));
      dispatchChannelEvent("CHANNEL_UPDATE", ch, o.silent);
    },

    commands: (guildId) => clone(guildId ? (guildCommands.get(guildId) ?? []) : globalCommands),
    channelMessages: (channelId, o = {}) =>
      (channelLog.get(channelId) ?? [])
        .filter(
          (m) => (o.includeDeleted || !m.deleted) && (o.includeInteractionReplies || m.origin === "channel"),
        )
        .map((m) => clone(m.message)),
    message: (id) => {
      const m = allMessages.get(id);
      return m ? clone(m.message) : undefined;
    },

    buildInteraction,
    sendInteraction,
    interact,
    interactionResult(id) {
      const st = interactions.get(id);
      if (!st) throw new Error(`fake Discord: no interaction ${id}`);
      return snapshot(st);
    },
    interactionTokens: () => [...interactions.values()].map((st) => st.token),
    slash(name, options = {}, o = {}) {
      try {
        const guild = guildById(o.guildId);
        const data = commandData(name, o.subcommand, options, guild);
        return interact({ ...o, type: InteractionType.Command, data, guildId: guild.id }, o);
      } catch (err) {
        return Promise.reject(err);
      }
    },
    autocomplete(name, subcommand, focusedOption, value, o = {}) {
      try {
        const guild = guildById(o.guildId);
        const data = commandData(name, subcommand, o.filled ?? {}, guild, { name: focusedOption, value });
        return interact({ ...o, type: InteractionType.Autocomplete, data, guildId: guild.id }, o);
      } catch (err) {
        return Promise.reject(err);
      }
    },
    button: (customId, o = {}) => componentInteraction(customId, o),
    select: (customId, values, o = {}) => componentInteraction(customId, o, values),
    modalSubmit(customId, fields, o = {}) {
      const data = {
        custom_id: customId,
        components: Object.entries(fields).map(([id, value]) => ({
          type: 1,
          components: [{ type: 4, custom_id: id, value }],
        })),
      };
      return interact({ ...o, type: InteractionType.ModalSubmit, data }, o);
    },

    dispatch(t, d) {
      if (t === "INTERACTION_CREATE" && isObj(d) && typeof d.id === "string" && typeof d.token === "string")
        registerInteraction(d);
      dispatchAll(t, d);
    },
    async waitForReady(timeoutMs = 10_000) {
      await waitFor(
        () => sessions.some((s) => s.alive && s.readyAt !== null && s.conn !== null),
        timeoutMs,
        "a bot to identify on the gateway",
      );
    },
    waitFor,
    openGatewayConnections: () => connections.size,
    disconnectGateway(o = {}) {
      for (const conn of [...connections]) {
        if (o.invalidate && conn.session) conn.session.alive = false;
        serverClose(conn, o.code ?? 4000, "fake Discord disconnect");
      }
      if (o.invalidate) for (const s of sessions) s.alive = false;
    },
    requestReconnect() {
      for (const conn of connections) sendOp(conn, 7, null);
    },
    failNext(o) {
      injections.push({
        match: o.match ?? (() => true),
        remaining: o.times ?? 1,
        reply: {
          status: o.status,
          body: o.body ?? { message: `${o.status}: fake failure`, code: 0 },
          headers: o.headers,
        },
      });
    },
    rateLimitNext(o = {}) {
      const retryAfter = o.retryAfterSeconds ?? 0.05;
      injections.push({
        match: o.match ?? (() => true),
        remaining: o.times ?? 1,
        reply: {
          status: 429,
          body: {
            message: "You are being rate limited.",
            retry_after: retryAfter,
            global: o.global === true,
          },
          headers: {
            "retry-after": String(retryAfter),
            "x-ratelimit-limit": "50",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset-after": String(retryAfter),
            "x-ratelimit-scope": o.global ? "global" : "user",
            ...(o.global ? { "x-ratelimit-global": "true" } : {}),
          },
        },
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const l of [...closeListeners]) l();
      for (const conn of connections) conn.ws.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
