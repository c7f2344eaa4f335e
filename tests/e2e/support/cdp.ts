import fs from 'node:fs';
import type { BrowserContext, CDPSession, Page } from '@playwright/test';

/**
 * Chrome DevTools Protocol access to the extension's service worker. Playwright only hands out CDP
 * sessions for pages, so a blank page's session is the root and the worker's session is tunnelled
 * through it (Target.attachToTarget without flatten, then Target.sendMessageToTarget): the same
 * protocol DevTools speaks, with nothing added to the extension.
 */

type Params = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: protocol results are shaped by the method called
type Result = any;

interface Pending {
  resolve: (value: Result) => void;
  reject: (err: Error) => void;
  method: string;
}

export interface TargetInfo {
  targetId: string;
  type: string;
  url: string;
}

/** A CDP session on one target, tunnelled through a page session. */
export class TunnelledSession {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(params: Result) => void>>();
  private closed = false;
  /** Resolves when the target goes away (the worker stopped) or the session is detached. */
  readonly detached: Promise<void>;
  private markDetached!: () => void;

  constructor(
    private readonly root: CDPSession,
    readonly sessionId: string,
    readonly target: TargetInfo,
  ) {
    this.detached = new Promise((resolve) => {
      this.markDetached = resolve;
    });
  }

  /** Called by the owner for every message the root receives for this session. */
  dispatch(raw: string): void {
    const message = JSON.parse(raw) as {
      id?: number;
      method?: string;
      params?: Result;
      result?: Result;
      error?: { message: string };
    };
    if (message.id !== undefined) {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error) waiting.reject(new Error(`${waiting.method}: ${message.error.message}`));
      else waiting.resolve(message.result);
      return;
    }
    if (message.method)
      for (const listener of this.listeners.get(message.method) ?? []) listener(message.params);
  }

  /** Called by the owner when the root reports the session detached. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiting of this.pending.values()) waiting.reject(new Error(`${waiting.method}: target gone`));
    this.pending.clear();
    this.markDetached();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends the session; a target that is already gone has nothing left to detach. */
  async detach(): Promise<void> {
    if (this.closed) return;
    await this.root.send('Target.detachFromTarget', { sessionId: this.sessionId }).catch(() => undefined);
    this.close();
  }

  send(method: string, params: Params = {}): Promise<Result> {
    if (this.closed) return Promise.reject(new Error(`${method}: target gone`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.root
        .send('Target.sendMessageToTarget', {
          sessionId: this.sessionId,
          message: JSON.stringify({ id, method, params }),
        })
        .catch((err: unknown) => {
          this.pending.delete(id);
          reject(err instanceof Error ? err : new Error(String(err)));
        });
    });
  }

  on(event: string, listener: (params: Result) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return () => set.delete(listener);
  }

  /** The next `event` whose params satisfy `accept`, or an error naming `what` after `timeoutMs`. */
  waitFor(event: string, what: string, timeoutMs: number, accept: (params: Result) => boolean = () => true) {
    return new Promise<Result>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${event})`));
      }, timeoutMs);
      const off = this.on(event, (params) => {
        if (!accept(params)) return;
        clearTimeout(timer);
        off();
        resolve(params);
      });
    });
  }
}

/** The root session and the tunnelled sessions opened through it. */
export class CdpRoot {
  private readonly sessions = new Map<string, TunnelledSession>();

  private constructor(
    readonly page: Page,
    readonly session: CDPSession,
  ) {
    session.on('Target.receivedMessageFromTarget', (event) => {
      if (event.sessionId) this.sessions.get(event.sessionId)?.dispatch(event.message);
    });
    session.on('Target.detachedFromTarget', (event) => {
      if (!event.sessionId) return;
      this.sessions.get(event.sessionId)?.close();
      this.sessions.delete(event.sessionId);
    });
  }

  /** Opens a blank page of `context` whose CDP session carries the others. */
  static async open(context: BrowserContext): Promise<CdpRoot> {
    const page = await context.newPage();
    return new CdpRoot(page, await context.newCDPSession(page));
  }

  async targets(): Promise<TargetInfo[]> {
    return (await this.session.send('Target.getTargets')).targetInfos;
  }

  /** The running service worker of the extension `extensionId`, or null when it is stopped. */
  async serviceWorkerTarget(extensionId: string): Promise<TargetInfo | null> {
    const prefix = `chrome-extension://${extensionId}/`;
    return (
      (await this.targets()).find((t) => t.type === 'service_worker' && t.url.startsWith(prefix)) ?? null
    );
  }

  async attach(target: TargetInfo): Promise<TunnelledSession> {
    const { sessionId } = await this.session.send('Target.attachToTarget', {
      targetId: target.targetId,
      flatten: false,
    });
    const tunnelled = new TunnelledSession(this.session, sessionId, target);
    this.sessions.set(sessionId, tunnelled);
    return tunnelled;
  }

  /** Waits until the extension has no running service worker. */
  async serviceWorkerGone(extensionId: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (await this.serviceWorkerTarget(extensionId)) {
      if (Date.now() > deadline) throw new Error(`the service worker of ${extensionId} is still running`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /**
   * Stops the extension's service worker, whatever it is doing (a worker paused in the debugger
   * too), the way `method` says; returns once it is gone.
   */
  async stopServiceWorker(extensionId: string, method: StopMethod): Promise<void> {
    const target = await this.serviceWorkerTarget(extensionId);
    if (!target) throw new Error(`the service worker of ${extensionId} is not running`);
    if (method === 'ServiceWorker.stopWorker') {
      await this.stopWorkerVersion(target.targetId);
    } else if (method === 'Target.closeTarget') {
      await this.session.send('Target.closeTarget', { targetId: target.targetId });
    } else {
      const pids = extensionRendererPids();
      if (pids.length !== 1)
        throw new Error(`expected one extension process of this browser, found ${pids.length}`);
      process.kill(pids[0]!, 'SIGKILL');
    }
    await this.serviceWorkerGone(extensionId);
  }

  /** ServiceWorker.stopWorker needs the version id, which the ServiceWorker domain reports once enabled. */
  private async stopWorkerVersion(targetId: string): Promise<void> {
    const versions = new Map<string, string>();
    const listener = (event: {
      versions: { versionId: string; targetId?: string; runningStatus: string }[];
    }) => {
      for (const v of event.versions)
        if (v.targetId && v.runningStatus === 'running') versions.set(v.targetId, v.versionId);
    };
    this.session.on('ServiceWorker.workerVersionUpdated', listener);
    try {
      await this.session.send('ServiceWorker.enable');
      const deadline = Date.now() + 5_000;
      while (!versions.has(targetId)) {
        if (Date.now() > deadline)
          throw new Error(`no running service worker version for target ${targetId}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await this.session.send('ServiceWorker.stopWorker', { versionId: versions.get(targetId)! });
    } finally {
      this.session.off('ServiceWorker.workerVersionUpdated', listener);
      await this.session.send('ServiceWorker.disable').catch(() => undefined);
    }
  }

  /** Attaches to the extension's running service worker (waiting up to `timeoutMs` for one). */
  async attachServiceWorker(extensionId: string, timeoutMs = 10_000): Promise<TunnelledSession> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const target = await this.serviceWorkerTarget(extensionId);
      if (target) return this.attach(target);
      if (Date.now() > deadline)
        throw new Error(`no service worker of ${extensionId} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** What stops the worker: the browser's own stop (its idle and 5-minute kills), DevTools' close, a crash. */
export const STOP_METHODS = [
  'ServiceWorker.stopWorker',
  'Target.closeTarget',
  'SIGKILL of the extension process',
] as const;
export type StopMethod = (typeof STOP_METHODS)[number];

/**
 * Renderer processes hosting extensions (the service worker and the extension's pages) of the
 * browsers this test process started: Playwright launches Chromium as a child of this process,
 * and its renderers are that browser's descendants. Other Chromiums on the machine are not touched.
 */
export function extensionRendererPids(): number[] {
  const parent = new Map<number, number>();
  const extensionRenderers: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      // Chromium rewrites its children's command lines into one space-separated string.
      const command = ` ${fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ')} `;
      if (command.includes(' --type=renderer ') && command.includes(' --extension-process '))
        extensionRenderers.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  const descendsFromUs = (pid: number) => {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parent.get(p))
      if (p === process.pid) return true;
    return false;
  };
  return extensionRenderers.filter(descendsFromUs);
}

/** A script of a debugged target, with its source to find breakpoint positions in. */
export interface DebuggedScript {
  scriptId: string;
  url: string;
  source: string;
}

/** Enables the Debugger domain of `session` and returns the script whose URL ends with `suffix`. */
export async function debugScript(session: TunnelledSession, suffix: string): Promise<DebuggedScript> {
  const parsed: { scriptId: string; url: string }[] = [];
  const off = session.on('Debugger.scriptParsed', (event) => parsed.push(event));
  // Already parsed scripts are reported before enable answers.
  await session.send('Debugger.enable');
  off();
  const script = parsed.find((p) => p.url.endsWith(suffix));
  if (!script) throw new Error(`no script ending in ${suffix} in the target (${parsed.length} scripts)`);
  const { scriptSource } = await session.send('Debugger.getScriptSource', { scriptId: script.scriptId });
  return { ...script, source: scriptSource };
}

/** Sets a breakpoint at character `offset` of the script; V8 moves it to the next breakable place. */
export async function breakAtOffset(session: TunnelledSession, script: DebuggedScript, offset: number) {
  const before = script.source.slice(0, offset).split('\n');
  return session.send('Debugger.setBreakpoint', {
    location: {
      scriptId: script.scriptId,
      lineNumber: before.length - 1,
      columnNumber: before.at(-1)!.length,
    },
  });
}
