import { type ChildProcess, fork } from "node:child_process";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { StatsChartData } from "../jobs/chart-data.js";
import type { Logger } from "../logger.js";
import type { MapGroup, MapOptions, MapView } from "../present/map/render.js";
import { type Pictures, RenderError } from "./pictures.js";

/** What the bot asks its renderer, one picture at a time. */
export type RenderRequest =
  | { id: number; kind: "map"; groups: MapGroup[]; view: MapView; opts: MapOptions }
  | { id: number; kind: "chart"; data: StatsChartData; now: string };

/** What the renderer says: "ready" once it listens, then one answer per request. */
export type RenderAnswer =
  | { kind: "ready" }
  | { kind: "done"; id: number; png: Uint8Array; onMap: number; rssBytes: number }
  | { kind: "failed"; id: number; message: string };

type Done = Extract<RenderAnswer, { kind: "done" }>;

/** Spreads a type's members over a union, so each request kind keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

export interface RenderProcessOptions {
  logger: Logger;
  /** No picture asked for this long: the child exits, and starts again for the next one. */
  idleMs: number;
  /** The child's V8 heap cap, and the resident size after a picture above which it is replaced. */
  maxMemoryMb: number;
  /** One picture, from asking (start-up included) to the answer; a child that takes longer is killed. */
  timeoutMs: number;
  /** Pictures waiting beyond this many are refused at once (their answers go out without one). */
  maxWaiting?: number;
  /** After this many crashes, failed starts or timeouts in a row, no child starts for `coolDownMs`. */
  maxFailures?: number;
  coolDownMs?: number;
  /** The child's script; default: render-worker beside this module (.ts under tsx, .js when built). */
  entry?: string;
  /** Node flags for the child; default: this process's own (a loader such as tsx's carries over). */
  execArgv?: readonly string[];
  /** Where the child keeps the maps' prepared atlas (the data directory); null: it makes one each start. */
  atlasDir?: string | null;
  /** Told each time a child starts. */
  onSpawn?: (pid: number) => void;
}

interface Child {
  proc: ChildProcess;
  ready: boolean;
  gone: boolean;
  /** We sent it away (idle, too big, timed out, closing): its exit is no failure. */
  dismissed: boolean;
}

interface Job {
  request: WithoutId<RenderRequest>;
  resolve(a: Done): void;
  reject(e: RenderError): void;
  id?: number;
  child?: Child;
  timer?: NodeJS.Timeout;
}

const ownExtension = extname(fileURLToPath(import.meta.url));
const DEFAULT_ENTRY = fileURLToPath(new URL(`./render-worker${ownExtension}`, import.meta.url));
/**
 * Flags of ours that must not reach the child: it gets a heap cap and a young generation of its own,
 * and a debugger's port is taken.
 */
const NOT_INHERITED = /^--(max-old-space-size|max-semi-space-size|inspect|debug|cpu-prof|heap-prof|prof\b)/;
/**
 * The child's young generation, in MiB per semi-space. V8 grows it to 16 (32 MiB resident) while a map
 * allocates its ~10 MB and keeps it; at 4, 120 near maps and charts at 100,000 groups cost ~5% more CPU
 * and the renderer's resident size is ~25 MiB lower.
 */
const SEMI_SPACE_MB = 4;

const toBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * Draws maps and charts in a child process (render-worker.ts), one at a time: started on the first
 * picture, ended after `idleMs` without one, replaced when it dies, hangs past `timeoutMs` or grows past
 * `maxMemoryMb`. A picture that can't be drawn rejects with a RenderError; the bot answers without it.
 * Why a process and not a worker thread: resvg's pixmaps and glibc's arenas are native memory that a
 * worker thread would leave in the bot's own resident size; an exiting process gives it all back.
 */
export function startRenderProcess(o: RenderProcessOptions): Pictures & { pid(): number | null } {
  const maxWaiting = o.maxWaiting ?? 16;
  const maxFailures = o.maxFailures ?? 3;
  const coolDownMs = o.coolDownMs ?? 30_000;
  const entry = o.entry ?? DEFAULT_ENTRY;
  const execArgv = [
    ...(o.execArgv ?? process.execArgv.filter((a) => !NOT_INHERITED.test(a))),
    `--max-old-space-size=${o.maxMemoryMb}`,
    `--max-semi-space-size=${SEMI_SPACE_MB}`,
  ];
  const log = o.logger;
  const waiting: Job[] = [];
  let child: Child | null = null;
  let current: Job | null = null;
  let idleTimer: NodeJS.Timeout | null = null;
  let failures = 0;
  let coolUntil = 0;
  let closed = false;
  let nextId = 1;

  function spawnChild(): Child {
    // The renderer needs no settings and must not hold the bot's secrets: an empty environment.
    const proc = fork(entry, o.atlasDir ? [o.atlasDir] : [], {
      execArgv,
      env: {},
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const c: Child = { proc, ready: false, gone: false, dismissed: false };
    proc.on("message", (m: RenderAnswer) => onAnswer(c, m));
    proc.once("exit", (code, signal) => onGone(c, code === null ? `signal ${signal}` : `exit code ${code}`));
    proc.on("error", (err) => {
      log.warn({ err: err.message }, "renderer process error");
      // A child that never started emits no exit.
      if (proc.pid === undefined) onGone(c, err.message);
    });
    if (proc.pid !== undefined) {
      log.debug({ pid: proc.pid }, "renderer started");
      o.onSpawn?.(proc.pid);
    }
    return c;
  }

  function send(c: Child, job: Job): void {
    const id = nextId++;
    job.id = id;
    try {
      c.proc.send({ ...job.request, id } as RenderRequest, (err) => {
        // The channel closed under us: the child's exit fails the job.
        if (err) log.debug({ err: err.message }, "could not reach the renderer");
      });
    } catch (err) {
      // Nothing was sent (a value that can't be serialized): this picture fails, the renderer is fine.
      finish(job);
      job.reject(new RenderError("failed", String((err as Error)?.message ?? err)));
      queueMicrotask(pump);
    }
  }

  function dismiss(c: Child, how: "disconnect" | "kill"): void {
    c.dismissed = true;
    if (child === c) child = null;
    if (c.gone) return;
    if (how === "kill") c.proc.kill("SIGKILL");
    else {
      // It exits by itself once the channel closes; a child that doesn't is killed.
      if (c.proc.connected) c.proc.disconnect();
      setTimeout(() => c.gone || c.proc.kill("SIGKILL"), 5000).unref();
    }
  }

  function finish(job: Job): void {
    if (job.timer) clearTimeout(job.timer);
    if (current === job) current = null;
  }

  function onAnswer(c: Child, m: RenderAnswer): void {
    if (m.kind === "ready") {
      c.ready = true;
      if (current?.child === c && current.id === undefined) send(c, current);
      return;
    }
    const job = current;
    if (!job || job.child !== c || job.id !== m.id) return; // an answer to a request given up on
    finish(job);
    failures = 0;
    if (m.kind === "done") {
      job.resolve(m);
      if (m.rssBytes > o.maxMemoryMb * 1024 * 1024) {
        log.info({ rssMiB: Math.round(m.rssBytes / 1048576) }, "renderer grew past its cap; replacing it");
        dismiss(c, "disconnect");
      }
    } else job.reject(new RenderError("failed", m.message));
    pump();
  }

  function failed(why: string): void {
    failures++;
    if (failures >= maxFailures) {
      coolUntil = Date.now() + coolDownMs;
      log.error(
        { failures, coolDownMs },
        "the renderer keeps failing; answering without pictures for a while",
      );
      failures = 0;
    } else log.warn({ why }, "renderer failed");
  }

  function onGone(c: Child, why: string): void {
    if (c.gone) return;
    c.gone = true;
    if (child === c) child = null;
    if (!c.dismissed) failed(why);
    if (current?.child === c) {
      const job = current;
      finish(job);
      job.reject(new RenderError("crashed", `The renderer stopped (${why}).`));
    }
    pump();
  }

  function onTimeout(job: Job): void {
    if (current !== job) return;
    finish(job);
    job.reject(new RenderError("timeout", `No picture after ${o.timeoutMs} ms.`));
    if (job.child) dismiss(job.child, "kill");
    failed("timeout");
    pump();
  }

  function refuseWaiting(e: RenderError): void {
    for (const job of waiting.splice(0)) job.reject(e);
  }

  function pump(): void {
    if (current || closed) return;
    if (waiting.length === 0) {
      armIdle();
      return;
    }
    if (Date.now() < coolUntil) {
      refuseWaiting(new RenderError("unavailable", "The renderer is resting after repeated failures."));
      return;
    }
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    const job = waiting.shift() as Job;
    current = job;
    child ??= spawnChild();
    job.child = child;
    job.timer = setTimeout(() => onTimeout(job), o.timeoutMs);
    job.timer.unref();
    if (child.ready) send(child, job);
  }

  function armIdle(): void {
    if (!child || idleTimer) return;
    idleTimer = setTimeout(() => {
      idleTimer = null;
      if (child && !current && waiting.length === 0) {
        log.debug({ pid: child.proc.pid }, "renderer idle; stopping it");
        dismiss(child, "disconnect");
      }
    }, o.idleMs);
    idleTimer.unref();
  }

  function ask(request: WithoutId<RenderRequest>): Promise<Done> {
    if (closed) return Promise.reject(new RenderError("closed", "The renderer is closed."));
    if (Date.now() < coolUntil)
      return Promise.reject(
        new RenderError("unavailable", "The renderer is resting after repeated failures."),
      );
    if (waiting.length >= maxWaiting)
      return Promise.reject(new RenderError("busy", `${waiting.length} pictures are waiting already.`));
    return new Promise<Done>((resolve, reject) => {
      waiting.push({ request, resolve, reject });
      pump();
    });
  }

  return {
    async map(groups, view, opts) {
      const a = await ask({ kind: "map", groups, view, opts });
      return { png: toBuffer(a.png), onMap: a.onMap };
    },
    async statsChart(data, now) {
      return toBuffer((await ask({ kind: "chart", data, now: now.toISOString() })).png);
    },
    pid: () => (child && !child.gone ? (child.proc.pid ?? null) : null),
    async close() {
      if (closed) return;
      closed = true;
      if (idleTimer) clearTimeout(idleTimer);
      const e = new RenderError("closed", "The renderer is closed.");
      refuseWaiting(e);
      if (current) {
        const job = current;
        finish(job);
        job.reject(e);
      }
      const c = child;
      if (!c || c.gone) return;
      const exited = new Promise<void>((r) => c.proc.once("exit", () => r()));
      dismiss(c, "disconnect");
      const timer = setTimeout(() => c.proc.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}
