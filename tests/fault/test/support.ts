import path from 'node:path';
import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { AppStack, type StackOptions, waitFor } from '@conveyor/testkit';

const TEMPLATE = { key: schemaFingerprint(), migrate: migrateUrl };
export const FAULT_WORKER = { script: path.resolve(__dirname, '../dist/fault-worker.js'), portVariable: 'WORKER_PORT', label: 'fault-worker' };

/** Quick stall detection, so a killed worker's job is redelivered in seconds, not minutes. */
export const FAST_STALLS = { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' };

export function createStack(options: Partial<StackOptions> = {}): Promise<AppStack> {
  return AppStack.create({ template: TEMPLATE, ...options });
}

/** A tiny client of the real API. */
export class Client {
  constructor(
    readonly base: string,
    readonly key: string,
  ) {}

  async call(method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, any>; headers: Headers }> {
    const res = await fetch(`${this.base}/api/v1${route}`, {
      method,
      headers: { Authorization: `Bearer ${this.key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: Record<string, any> = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { raw: text };
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  submit(task: string, payload: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
    return this.call('POST', '/tasks', { task, payload, ...extra });
  }

  async task(id: string) {
    return (await this.call('GET', `/tasks/${id}`)).body;
  }

  /** Polls until the task reaches one of the statuses; returns its view. */
  waitForStatus(id: string, statuses: string[], timeoutMs = 30_000) {
    return waitFor(
      async () => {
        const view = await this.task(id).catch(() => undefined);
        return view && statuses.includes(view.status) ? view : undefined;
      },
      `task ${id} to reach ${statuses.join('/')}`,
      timeoutMs,
      50,
    );
  }
}

export const TERMINAL = ['SUCCESS', 'FAILURE', 'REVOKED'];
