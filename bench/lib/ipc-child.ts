import { fork, type ChildProcess } from 'node:child_process';

/** A forked TypeScript helper process (fake provider, wire baseline) spoken to by request/reply over IPC. */
export class IpcChild {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;

  private constructor(
    readonly child: ChildProcess,
    readonly hello: Record<string, unknown>,
  ) {
    child.on('message', (raw: unknown) => {
      const msg = raw as { id?: number; ok?: boolean; value?: unknown };
      if (typeof msg.id !== 'number') return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(String(msg.value)));
    });
    child.once('exit', (code, signal) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`helper exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  /** Forks `script` under tsx and waits for its first message (e.g. `{ type: 'listening', url }`). */
  static async start(script: string, timeoutMs = 20_000): Promise<IpcChild> {
    const child = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${script} did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      child.once('message', (m) => {
        clearTimeout(timer);
        resolve(m as Record<string, unknown>);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited with ${code} before starting`));
      });
    });
    return new IpcChild(child, hello);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  request<T>(type: string, body: Record<string, unknown> = {}, timeoutMs = 600_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error('helper has exited'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`helper request ${type} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ ...body, id, type });
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      await this.request('close', {}, 5_000);
    } catch {
      // fall through to the kill below
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await gone;
    clearTimeout(timer);
  }
}
