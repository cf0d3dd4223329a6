import { createAdminKey, createDb, createTenantWithKey, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { AppStack, freePort } from '@conveyor/testkit';
import { Conveyor, type ConveyorOptions } from '../../src';

/**
 * A test file's own real API (and worker, when asked) as processes, and clients of tenants
 * written straight into the stack's database (createTenantWithKey, as the tenant CLI does): the
 * client's tests make a tenant each, and a CLI process per tenant cost seconds apiece on a busy
 * machine. The CLI itself is run by every end-to-end and fault test file.
 */
export interface ClientStack {
  stack: AppStack;
  /** A tenant and its key, as `npm run tenant:create -- --json` prints them. */
  createTenant: (name: string, plan?: 'trial' | 'starter' | 'growth') => Promise<{ tenant_id: string; api_key: string }>;
  createAdminKey: () => Promise<string>;
  /** Stops the processes and drops the database (after closing this file's connections to it). */
  stop: () => Promise<void>;
  apiPort: number;
  baseUrl: string;
  /** A new tenant's client (each test its own tenant: rate limits and stream caps are per tenant). */
  tenant: (plan?: 'trial' | 'starter' | 'growth', options?: Partial<ConveyorOptions>) => Promise<Conveyor>;
  /** A new tenant's API key, for several clients of one tenant. */
  tenantKey: (plan?: 'trial' | 'starter' | 'growth') => Promise<string>;
  client: (apiKey: string, options?: Partial<ConveyorOptions>) => Conveyor;
  admin: () => Promise<Conveyor>;
  startWorker: () => Promise<void>;
}

export async function startStack(options: { worker: boolean; env?: Record<string, string> }): Promise<ClientStack> {
  const stack = await AppStack.create({
    template: { key: schemaFingerprint(), migrate: migrateUrl },
    // Retries of test_task come after 0.1 to 0.5 s rather than the default 1 to 60 s.
    env: { TASK_OVERRIDES: JSON.stringify({ test_task: { backoff: { baseMs: 100, maxMs: 500 } } }), ...options.env },
  });
  const apiPort = await freePort();
  const startWorker = async () => void (await stack.start('worker-monitoring', await freePort()));
  await Promise.all([stack.start('api', apiPort), options.worker ? startWorker() : undefined]);
  const baseUrl = `http://127.0.0.1:${apiPort}`;
  const db = createDb(stack.database.url, { max: 2 });
  const createTenant = async (name: string, plan: 'trial' | 'starter' | 'growth' = 'starter') => {
    const { tenant, apiKey } = await createTenantWithKey(db, { name, plan });
    return { tenant_id: tenant.id, api_key: apiKey };
  };
  let tenants = 0;
  const tenantKey = async (plan: 'trial' | 'starter' | 'growth' = 'starter') => {
    tenants += 1;
    return (await createTenant(`client-test-${tenants}`, plan)).api_key;
  };
  const client = (apiKey: string, more: Partial<ConveyorOptions> = {}) => new Conveyor({ baseUrl, apiKey, ...more });
  return {
    stack,
    createTenant,
    createAdminKey: () => createAdminKey(db),
    stop: async () => {
      await db.destroy();
      await stack.stop();
    },
    apiPort,
    baseUrl,
    startWorker,
    tenantKey,
    client,
    tenant: async (plan = 'starter', more = {}) => client(await tenantKey(plan), more),
    admin: async () => new Conveyor({ baseUrl, apiKey: await createAdminKey(db) }),
  };
}

/** A fetch that does the real request and records each answer's method, path and status (nothing faked). */
export function recordingFetch(): { fetch: typeof fetch; seen: { method: string; path: string; status: number }[] } {
  const seen: { method: string; path: string; status: number }[] = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    seen.push({ method: init?.method ?? 'GET', path: url.pathname, status: response.status });
    return response;
  };
  return { fetch: recording, seen };
}
