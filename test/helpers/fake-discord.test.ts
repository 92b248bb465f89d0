import { spawn } from "node:child_process";
import diagnostics from "node:diagnostics_channel";
import { once } from "node:events";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import zlib from "node:zlib";
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  type Interaction,
  MessageFlags,
  ModalBuilder,
  PermissionFlagsBits,
  REST,
  Routes,
  SlashCommandBuilder,
  type TextChannel,
  TextInputBuilder,
  TextInputStyle,
} from "discord.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type FakeDiscord, type FakeDiscordOptions, startFakeDiscord } from "./fake-discord.js";

// Every TCP connection this test process opens, to prove nothing leaves loopback.
const outgoing: string[] = [];
const onSocket = (message: unknown): void => {
  const { socket } = message as { socket: Socket };
  socket.once("lookup", (_err: unknown, _address: unknown, _family: unknown, host: string) =>
    outgoing.push(`lookup ${host}`),
  );
  socket.once("connect", () => outgoing.push(socket.remoteAddress ?? "?"));
};
diagnostics.subscribe("net.client.socket", onSocket);

const commands = [
  new SlashCommandBuilder().setName("ping").setDescription("Replies pong"),
  new SlashCommandBuilder().setName("whoami").setDescription("Who is asking"),
  new SlashCommandBuilder()
    .setName("echo")
    .setDescription("Repeats text")
    .addStringOption((o) => o.setName("text").setDescription("What to say").setRequired(true))
    .addIntegerOption((o) => o.setName("times").setDescription("How often").setMinValue(1).setMaxValue(3)),
  new SlashCommandBuilder().setName("slow").setDescription("Defers, edits, follows up"),
  new SlashCommandBuilder().setName("secret").setDescription("Ephemeral reply"),
  new SlashCommandBuilder().setName("edits").setDescription("Fetches, edits and deletes its messages"),
  new SlashCommandBuilder().setName("stats").setDescription("Embed reply with response"),
  new SlashCommandBuilder().setName("panel").setDescription("A message with a button"),
  new SlashCommandBuilder().setName("feedback").setDescription("Opens a modal"),
  new SlashCommandBuilder()
    .setName("pug")
    .setDescription("Python user groups")
    .addSubcommand((s) =>
      s
        .setName("near")
        .setDescription("Groups near a city")
        .addStringOption((o) =>
          o.setName("city").setDescription("City").setRequired(true).setAutocomplete(true),
        ),
    )
    .addSubcommand((s) => s.setName("info").setDescription("About the data")),
].map((c) => c.toJSON());

const CITIES = ["Berlin", "Bern", "Bergen", "Paris"];

async function handle(i: Interaction): Promise<void> {
  if (i.isAutocomplete()) {
    const typed = i.options.getFocused().toLowerCase();
    await i.respond(
      CITIES.filter((c) => c.toLowerCase().startsWith(typed)).map((c) => ({ name: c, value: c })),
    );
    return;
  }
  if (i.isButton() && i.customId === "refresh") {
    await i.update({ content: "refreshed", components: [] });
    return;
  }
  if (i.isModalSubmit()) {
    await i.reply(`thanks: ${i.fields.getTextInputValue("text")}`);
    return;
  }
  if (!i.isChatInputCommand()) return;
  switch (i.commandName) {
    case "ping":
      await i.reply("pong");
      return;
    case "whoami": {
      const admin = i.memberPermissions?.has(PermissionFlagsBits.ManageGuild);
      const canSend = i.appPermissions.has(PermissionFlagsBits.SendMessages);
      await i.reply(
        `${i.user.username} admin=${admin} send=${canSend} in #${i.channel && "name" in i.channel ? i.channel.name : "?"} of ${i.guild?.name}`,
      );
      return;
    }
    case "echo":
      await i.reply(
        Array(i.options.getInteger("times") ?? 1)
          .fill(i.options.getString("text", true))
          .join(" "),
      );
      return;
    case "slow":
      await i.deferReply();
      await sleep(30);
      await i.editReply("done");
      await i.followUp("and more");
      return;
    case "edits": {
      await i.reply("v1");
      const original = await i.fetchReply();
      await i.editReply(`v2 of ${original.id}`);
      const kept = await i.followUp("f1");
      await i.webhook.editMessage(kept.id, { content: "f2" });
      const gone = await i.followUp("gone");
      await i.deleteReply(gone.id);
      return;
    }
    case "secret":
      await i.reply({ content: "shh", flags: MessageFlags.Ephemeral });
      return;
    case "stats": {
      const res = await i.reply({
        embeds: [{ title: "Stats", description: "12 groups" }],
        withResponse: true,
      });
      await i.followUp(`original was ${res.resource?.message?.id}`);
      return;
    }
    case "panel": {
      const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder().setCustomId("refresh").setLabel("Refresh").setStyle(ButtonStyle.Primary),
      );
      await i.reply({ content: "panel", components: [row] });
      return;
    }
    case "feedback": {
      const input = new TextInputBuilder()
        .setCustomId("text")
        .setLabel("Text")
        .setStyle(TextInputStyle.Short);
      await i.showModal(
        new ModalBuilder()
          .setCustomId("feedback-form")
          .setTitle("Feedback")
          .addComponents(new ActionRowBuilder<TextInputBuilder>().addComponents(input)),
      );
      return;
    }
    case "pug":
      await i.reply(
        i.options.getSubcommand() === "near" ? `near ${i.options.getString("city", true)}` : "about the data",
      );
      return;
  }
}

async function loggedIn(
  fake: FakeDiscord,
  handler: (i: Interaction) => Promise<void> = handle,
): Promise<{ client: Client; readyMs: number }> {
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
  client.on(Events.InteractionCreate, (i) => void handler(i).catch(() => undefined));
  const ready = once(client, Events.ClientReady);
  const started = Date.now();
  await client.login(fake.token);
  await ready;
  return { client, readyMs: Date.now() - started };
}

async function withFake(o: FakeDiscordOptions, run: (fake: FakeDiscord) => Promise<void>): Promise<void> {
  const fake = await startFakeDiscord(o);
  try {
    await run(fake);
  } finally {
    await fake.close();
  }
}

describe("fake Discord with the real discord.js Client", () => {
  let fake: FakeDiscord;
  let client: Client;
  let readyMs = 0;

  beforeAll(async () => {
    fake = await startFakeDiscord({ heartbeatIntervalMs: 300 });
    ({ client, readyMs } = await loggedIn(fake));
    await new REST({ api: fake.apiUrl })
      .setToken(fake.token)
      .put(Routes.applicationGuildCommands(fake.appId, fake.guildId), { body: commands });
  });

  afterAll(async () => {
    await client?.destroy();
    await fake?.close();
  });

  it("logs in: READY and GUILD_CREATE fill the cache and ready fires at once", () => {
    expect(readyMs).toBeLessThan(5000);
    expect(client.user?.id).toBe(fake.botUserId);
    expect(client.user?.bot).toBe(true);
    expect(client.application?.id).toBe(fake.appId);
    const guild = client.guilds.cache.get(fake.guildId);
    expect(guild?.name).toBe("Fake Python Group");
    expect(guild?.channels.cache.map((c) => c.name).sort()).toEqual(["alerts", "general"]);
    expect(guild?.members.cache.size).toBe(4);
    expect(guild?.members.me?.permissions.has(PermissionFlagsBits.SendMessages)).toBe(true);
    for (const id of [fake.botUserId, fake.guildId, fake.channelId("general")])
      expect(id).toMatch(/^\d{17,19}$/);
  });

  it("serves the current user and application", async () => {
    const app = await client.application?.fetch();
    expect(app?.name).toBe("Poick");
    expect(app?.owner?.id).toBe(fake.userId("owner"));
    const me = (await client.rest.get(Routes.user("@me"))) as { id: string; bot: boolean };
    expect(me).toMatchObject({ id: fake.botUserId, bot: true });
  });

  it("sees what the client asks of the gateway: JSON, v10, no compression, Guilds intent", () => {
    expect(fake.gatewayConnections[0]).toMatchObject({
      path: "/",
      query: { v: "10", encoding: "json" },
      compression: "none",
      remoteAddress: "127.0.0.1",
    });
    expect(fake.identifies).toHaveLength(1);
    expect(fake.identifies[0]).toMatchObject({ tokenOk: true, intents: 1, shard: [0, 1], compress: false });
    expect(fake.requests[0]).toMatchObject({
      method: "GET",
      route: "/gateway/bot",
      auth: "bot",
      status: 200,
    });
  });

  it("acknowledges heartbeats", async () => {
    await fake.waitFor(() => fake.gatewayReceived.some((m) => m.op === 1), 3000, "a heartbeat");
    await fake.waitFor(() => client.ws.ping >= 0, 3000, "a measured ping");
  });

  it("records and stores the bulk command overwrite, keeping ids on a re-PUT", async () => {
    const put = fake.requests.find((r) => r.method === "PUT");
    expect(put?.route).toBe(`/applications/${fake.appId}/guilds/${fake.guildId}/commands`);
    expect(put?.auth).toBe("bot");
    expect(put?.body).toHaveLength(commands.length);
    const stored = fake.commands(fake.guildId);
    expect(stored.map((c) => c.name)).toEqual(commands.map((c) => c.name));
    expect(stored.every((c) => /^\d{17,19}$/.test(String(c.id)))).toBe(true);

    const rest = new REST({ api: fake.apiUrl }).setToken(fake.token);
    const again = (await rest.put(Routes.applicationGuildCommands(fake.appId, fake.guildId), {
      body: commands,
    })) as Array<{ id: string }>;
    expect(again.map((c) => c.id)).toEqual(stored.map((c) => c.id));
    const listed = (await rest.get(Routes.applicationGuildCommands(fake.appId, fake.guildId))) as unknown[];
    expect(listed).toHaveLength(commands.length);
  });

  it("rejects a command Discord would reject", async () => {
    const rest = new REST({ api: fake.apiUrl }).setToken(fake.token);
    const bad = [{ name: "Bad Name", description: "x" }];
    const err = await rest
      .put(Routes.applicationCommands(fake.appId), { body: bad })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscordAPIError);
    expect((err as DiscordAPIError).code).toBe(50035);
    expect(fake.commands()).toEqual([]);
  });

  it("answers a slash command with the bot's reply", async () => {
    const r = await fake.slash("ping");
    expect(r.callbacks.map((c) => c.type)).toEqual([4]);
    expect(r.content).toBe("pong");
    expect(r.interaction.type).toBe(2);
    const data = r.interaction.data as { id: string };
    expect(data.id).toBe(fake.commands(fake.guildId).find((c) => c.name === "ping")?.id);
    const callback = fake.requests.find((q) =>
      q.route.startsWith(`/interactions/${String(r.interaction.id)}/`),
    );
    expect(callback).toMatchObject({ method: "POST", auth: "none", status: 204 });
  });

  it("sends member permissions, app permissions, channel and guild like Discord", async () => {
    const admin = await fake.slash("whoami", {}, { user: "admin" });
    expect(admin.content).toBe("organiser admin=true send=true in #general of Fake Python Group");
    const member = await fake.slash("whoami", {}, { user: "member", channelId: "alerts" });
    expect(member.content).toBe("pythonista admin=false send=true in #alerts of Fake Python Group");
  });

  it("fills options from the registered definition and refuses ones Discord would not send", async () => {
    expect((await fake.slash("echo", { text: "hi", times: 3 })).content).toBe("hi hi hi");
    await expect(fake.slash("echo", { nope: "x" })).rejects.toThrow(/unknown option "nope"/);
    await expect(fake.slash("echo", { times: 2 })).rejects.toThrow(/required option "text"/);
    await expect(fake.slash("echo", { text: "x", times: 9 })).rejects.toThrow(/above 3/);
    await expect(fake.slash("nothing")).rejects.toThrow(/not registered/);
    const r = await fake.slash("pug", { city: "Bern" }, { subcommand: "near" });
    expect(r.content).toBe("near Bern");
  });

  it("collects a deferred reply, its edit and a followup", async () => {
    const r = await fake.slash("slow", {}, { until: (x) => x.followups.length > 0 });
    expect(r.callbacks.map((c) => c.type)).toEqual([5]);
    expect(r.edits.map((e) => e.messageId)).toEqual(["@original"]);
    expect(r.original?.content).toBe("done");
    expect(r.original?.flags).toBe(0);
    expect(r.followupMessages.map((m) => m.content)).toEqual(["and more"]);
    expect(r.text).toBe("done\nand more");
  });

  it("serves GET @original and followup edits and deletes", async () => {
    const r = await fake.slash("edits", {}, { until: (x) => x.deletions.length > 0 });
    expect(r.content).toBe(`v2 of ${r.original?.id}`);
    expect(r.followups.map((f) => f.body.content)).toEqual(["f1", "gone"]);
    expect(r.edits.map((e) => e.messageId)).toEqual(["@original", r.followups[0]?.messageId]);
    expect(r.deletions.map((d) => d.messageId)).toEqual([r.followups[1]?.messageId]);
    expect(r.followupMessages.map((m) => m.content)).toEqual(["f2"]);
    const token = String(r.interaction.token);
    const get = fake.requests.find((q) => q.method === "GET" && q.route.includes(token));
    expect(get).toMatchObject({ route: `/webhooks/${fake.appId}/${token}/messages/@original`, status: 200 });
  });

  it("marks ephemeral replies and keeps them out of the channel", async () => {
    const r = await fake.slash("secret");
    expect(r.ephemeral).toBe(true);
    const visible = fake.channelMessages(fake.channelId("general"), { includeInteractionReplies: true });
    expect(visible.map((m) => m.content)).not.toContain("shh");
    expect(visible.map((m) => m.content)).toContain("pong");
  });

  it("answers with_response=true with the callback resource", async () => {
    const r = await fake.slash("stats", {}, { until: (x) => x.followups.length > 0 });
    expect(r.callbacks[0]).toMatchObject({ type: 4, withResponse: true });
    expect(r.original?.embeds[0]).toMatchObject({ title: "Stats", description: "12 groups" });
    expect(r.followupMessages[0]?.content).toBe(`original was ${r.original?.id}`);
  });

  it("returns autocomplete choices", async () => {
    const r = await fake.autocomplete("pug", "near", "city", "ber");
    expect(r.interaction.type).toBe(4);
    expect(r.callbacks.map((c) => c.type)).toEqual([8]);
    expect(r.choices?.map((c) => c.name)).toEqual(["Berlin", "Bern", "Bergen"]);
  });

  it("updates the message a button sits on", async () => {
    const panel = await fake.slash("panel");
    const messageId = panel.original?.id ?? "";
    expect(panel.original?.components).toHaveLength(1);
    const r = await fake.button("refresh", { messageId, user: "admin" });
    expect(r.interaction.type).toBe(3);
    expect((r.interaction.message as { id: string }).id).toBe(messageId);
    expect(r.callbacks.map((c) => c.type)).toEqual([7]);
    expect(r.original?.id).toBe(messageId);
    expect(r.content).toBe("refreshed");
    expect(fake.message(messageId)?.components).toEqual([]);
  });

  it("shows a modal and takes its submission", async () => {
    const r = await fake.slash("feedback");
    expect(r.callbacks.map((c) => c.type)).toEqual([9]);
    expect(r.modal).toMatchObject({ custom_id: "feedback-form", title: "Feedback" });
    expect((await fake.modalSubmit("feedback-form", { text: "lovely" })).content).toBe("thanks: lovely");
  });

  it("creates one message for a repeated nonce with enforce_nonce", async () => {
    const alerts = fake.channelId("alerts");
    const channel = client.channels.cache.get(alerts) as TextChannel;
    const first = await channel.send({
      content: "Group X looks dead",
      nonce: "poick-alert-1",
      enforceNonce: true,
    });
    const second = await channel.send({
      content: "Group X looks dead",
      nonce: "poick-alert-1",
      enforceNonce: true,
    });
    expect(second.id).toBe(first.id);
    expect(fake.channelMessages(alerts).map((m) => m.content)).toEqual(["Group X looks dead"]);
    const posts = fake.requests.filter(
      (r) => r.method === "POST" && r.route === `/channels/${alerts}/messages`,
    );
    expect(posts).toHaveLength(2);
    expect(posts[0]?.body).toMatchObject({ nonce: "poick-alert-1", enforce_nonce: true });
  });

  it("parses multipart bodies: payload_json and files", async () => {
    const channel = client.channels.cache.get(fake.channelId("general")) as TextChannel;
    const sent = await channel.send({
      content: "with file",
      files: [{ attachment: Buffer.from("hello"), name: "a.txt" }],
    });
    expect(sent.attachments.first()?.name).toBe("a.txt");
    const req = fake.requests.at(-1);
    expect(req?.body).toMatchObject({ content: "with file" });
    expect(req?.files).toEqual([expect.objectContaining({ field: "files[0]", name: "a.txt", size: 5 })]);
    // The attachment's url serves the bytes, as Discord's CDN does.
    const got = await fetch(sent.attachments.first()?.url as string);
    expect(await got.text()).toBe("hello");
    expect((await fetch(`${fake.apiUrl.replace(/\/api$/, "")}/attachments/1/none`)).status).toBe(404);
  });

  it("retries after a 429 with Retry-After", async () => {
    const channel = client.channels.cache.get(fake.channelId("general")) as TextChannel;
    fake.rateLimitNext({ retryAfterSeconds: 0.05, match: (r) => r.method === "POST" });
    await channel.send("after a rate limit");
    expect(fake.requests.slice(-2).map((r) => r.status)).toEqual([429, 200]);
  });

  it("answers 403 Missing Permissions and 404 Unknown Channel, and tells the gateway", async () => {
    const general = fake.channelId("general");
    const channel = client.channels.cache.get(general) as TextChannel;
    fake.denyChannel(general);
    await fake.waitFor(
      () => channel.permissionsFor(client.user!)?.has(PermissionFlagsBits.SendMessages) === false,
    );
    const denied = await channel.send("x").catch((e: unknown) => e);
    expect(denied).toMatchObject({ status: 403, code: 50013 });
    fake.allowChannel(general);
    await fake.waitFor(() => channel.permissionsFor(client.user!)?.has(PermissionFlagsBits.SendMessages));

    const doomed = fake.addChannel("doomed");
    await fake.waitFor(() => client.channels.cache.get(doomed.id));
    const cached = client.channels.cache.get(doomed.id) as TextChannel;
    fake.deleteChannel(doomed.id, { silent: true });
    const gone = await cached.send("x").catch((e: unknown) => e);
    expect(gone).toMatchObject({ status: 404, code: 10003 });
  });

  it("records unknown routes as 404 and keeps serving", async () => {
    const res = await fetch(`${fake.apiUrl}/v10/no/such/route`, {
      headers: { authorization: `Bot ${fake.token}` },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: "404: Not Found", code: 0 });
    expect((await fetch(`${fake.apiUrl}/v9/gateway`)).status).toBe(404);
    expect(fake.requests.at(-2)).toMatchObject({ route: "/no/such/route", status: 404 });
    expect((await fake.slash("ping")).content).toBe("pong");
  });

  it("resumes at resume_gateway_url after a drop, replaying what was missed", async () => {
    const before = fake.identifies.length;
    fake.disconnectGateway({ code: 4000 });
    const missed = fake.slash("ping", {}, { timeoutMs: 2900 });
    const r = await missed;
    expect(r.content).toBe("pong");
    expect(fake.resumes).toEqual([expect.objectContaining({ ok: true, path: "/resume" })]);
    expect(fake.gatewayConnections.at(-1)?.path).toBe("/resume");
    expect(fake.identifies).toHaveLength(before);
    expect(fake.dispatched.at(-1)?.t).not.toBe("READY");
  });

  it("talked only to the fake", () => {
    const fromClient = fake.requests.filter((r) => r.headers["user-agent"]?.startsWith("DiscordBot"));
    expect(fromClient.length).toBeGreaterThan(20);
    for (const r of fromClient) {
      expect(r.path.startsWith("/api/v10/")).toBe(true);
      expect(r.headers.host).toBe(`127.0.0.1:${fake.port}`);
      expect(r.auth).not.toBe("wrong");
    }
    expect(outgoing.length).toBeGreaterThan(0);
    expect(outgoing.filter((a) => a !== "127.0.0.1")).toEqual([]);
  });
});

describe("fake Discord edge cases", () => {
  it("refuses a wrong token: login rejects and no gateway session starts", async () => {
    await withFake({}, async (fake) => {
      const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
      await expect(client.login("not-the-token")).rejects.toThrow(/token/i);
      expect(fake.requests).toEqual([
        expect.objectContaining({ route: "/gateway/bot", auth: "wrong", status: 401 }),
      ]);
      expect(fake.gatewayConnections).toEqual([]);
      await client.destroy();
    });
  });

  it("rejects a late first callback (10062) and a second one (40060)", async () => {
    await withFake({ interactionDeadlineMs: 150 }, async (fake) => {
      const codes: unknown[] = [];
      const { client } = await loggedIn(fake, async (i) => {
        if (!i.isChatInputCommand()) return;
        if (i.commandName === "late") await sleep(300);
        await i.reply("first").catch((e: DiscordAPIError) => codes.push(e.code));
        if (i.commandName === "twice")
          await client.rest
            .post(Routes.interactionCallback(i.id, i.token), {
              body: { type: 4, data: { content: "again" } },
              auth: false,
            })
            .catch((e: DiscordAPIError) => codes.push(e.code));
      });
      try {
        const body = [
          { name: "late", description: "Too slow" },
          { name: "twice", description: "Replies twice" },
        ];
        await client.rest.put(Routes.applicationCommands(fake.appId), { body });
        const late = await fake.slash("late", {}, { until: () => codes.length > 0, timeoutMs: 2000 });
        expect(late.callbacks).toEqual([]);
        expect(codes).toEqual([10062]);
        const twice = await fake.slash("twice", {}, { until: () => codes.length > 1, timeoutMs: 2000 });
        expect(twice.content).toBe("first");
        expect(codes).toEqual([10062, 40060]);
      } finally {
        await client.destroy();
      }
    });
  });

  it("speaks the raw gateway protocol: bad token closes 4004, unknown resume gets op 9", async () => {
    await withFake({}, async (fake) => {
      const bad = new WebSocket(`${fake.gatewayUrl}/?v=10&encoding=json`);
      bad.on("message", () =>
        bad.send(JSON.stringify({ op: 2, d: { token: "nope", intents: 1, properties: {} } })),
      );
      const [code] = (await once(bad, "close")) as [number];
      expect(code).toBe(4004);

      const resume = new WebSocket(`${fake.resumeGatewayUrl}?v=10&encoding=json`);
      const ops: number[] = [];
      resume.on("message", (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as { op: number; d: unknown };
        ops.push(msg.op);
        if (msg.op === 10)
          resume.send(JSON.stringify({ op: 6, d: { token: fake.token, session_id: "gone", seq: 3 } }));
        if (msg.op === 9) expect(msg.d).toBe(false);
      });
      await fake.waitFor(() => ops.includes(9), 2000, "INVALID_SESSION");
      expect(fake.resumes).toEqual([expect.objectContaining({ ok: false, path: "/resume" })]);
      resume.terminate();
    });
  });

  it("serves zlib-stream compression with one deflate context per connection", async () => {
    await withFake({}, async (fake) => {
      const ws = new WebSocket(`${fake.gatewayUrl}/?v=10&encoding=json&compress=zlib-stream`);
      const chunks: Buffer[] = [];
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        expect(isBinary).toBe(true);
        chunks.push(data);
      });
      const inflated = (n: number): string =>
        n === 0
          ? ""
          : zlib
              .inflateSync(Buffer.concat(chunks.slice(0, n)), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
              .toString();
      const message = (k: number): { op: number; t: string | null; d: Record<string, unknown> } =>
        JSON.parse(inflated(k + 1).slice(inflated(k).length));

      await fake.waitFor(() => chunks.length >= 1, 2000, "HELLO");
      expect(message(0)).toMatchObject({ op: 10, d: { heartbeat_interval: 41_250 } });
      ws.send(JSON.stringify({ op: 2, d: { token: fake.token, intents: 1, properties: {} } }));
      await fake.waitFor(() => chunks.length >= 3, 2000, "READY and GUILD_CREATE");
      expect(message(1)).toMatchObject({ t: "READY", d: { resume_gateway_url: fake.resumeGatewayUrl } });
      expect(message(2)).toMatchObject({ t: "GUILD_CREATE", d: { id: fake.guildId } });
      expect(fake.gatewayConnections[0]?.compression).toBe("zlib-stream");
      ws.terminate();
    });
  });

  it("serves a bot in another process and notices when that process dies", async () => {
    const bot = `
      import { Client, Events, GatewayIntentBits } from "discord.js";
      const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: process.env.FAKE_API } });
      client.on(Events.InteractionCreate, (i) => { if (i.isChatInputCommand()) void i.reply("pong from " + process.pid); });
      client.once(Events.ClientReady, (c) =>
        c.application.commands.set([{ name: "ping", description: "Replies pong" }], process.env.FAKE_GUILD));
      await client.login(process.env.FAKE_TOKEN);
    `;
    await withFake({}, async (fake) => {
      const env = { ...process.env, FAKE_API: fake.apiUrl, FAKE_TOKEN: fake.token, FAKE_GUILD: fake.guildId };
      const child = spawn(process.execPath, ["--input-type=module", "-e", bot], { env, stdio: "ignore" });
      try {
        await fake.waitFor(
          () => fake.commands(fake.guildId).length === 1,
          15_000,
          "the child to register /ping",
        );
        expect((await fake.slash("ping")).content).toBe(`pong from ${child.pid}`);
        expect(fake.openGatewayConnections()).toBe(1);
        child.kill("SIGKILL");
        await fake.waitFor(
          () => fake.openGatewayConnections() === 0,
          5000,
          "the dead bot's connection to close",
        );
      } finally {
        child.kill("SIGKILL");
      }
    });
  });

  it("destroys the client and closes within a second, leaving nothing listening", async () => {
    const fake = await startFakeDiscord();
    const { client } = await loggedIn(fake);
    const started = Date.now();
    await client.destroy();
    await fake.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(fetch(`${fake.apiUrl}/v10/gateway`)).rejects.toThrow();
    await expect(fake.waitFor(() => false, 50)).rejects.toThrow(/closed|timed out/);
  });
});
