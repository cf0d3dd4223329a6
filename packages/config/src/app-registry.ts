import { QUEUE_NAMES, type QueueName } from '@conveyor/contracts';
import { z } from 'zod';
import registry from './apps.json';

/**
 * The one list of apps (apps.json, plain JSON so that the scripts of `npm start` read it
 * without a build): npm start, the test stack, the apps' default ports and the README's apps
 * table all come from it, and packages/config/test/app-registry.test.ts checks the rest of the
 * repository (queues, apps/* directories, README) against it. Its `sites` are the apps/*
 * folders that are no process: static builds another app serves (the console, by the API).
 */
export type AppName = 'api' | 'scheduler' | `worker-${QueueName}`;

const appSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z-]*$/),
    kind: z.enum(['api', 'scheduler', 'worker']),
    /** A worker's one queue; its name is then `worker-<queue>`. */
    queue: z.enum(QUEUE_NAMES).optional(),
    /** The variable the app's process reads its port from. */
    portVariable: z.string().regex(/^[A-Z][A-Z0-9_]*_PORT$/),
    defaultPort: z.number().int().min(1).max(65535),
    healthPath: z.string().startsWith('/'),
    /** What it does, for the README's apps table (Markdown). */
    description: z.string().min(1),
  })
  .strict()
  .refine((app) => (app.kind === 'worker' ? app.name === `worker-${app.queue}` : app.queue === undefined && app.name === app.kind), {
    error: 'a worker is named worker-<queue>; the api and the scheduler are named after their kind and have no queue',
  })
  .transform((app) => ({ ...app, name: app.name as AppName }));

export type AppEntry = z.infer<typeof appSchema>;

/** Every app, in the order npm start starts them (the API first). */
export const APPS: readonly AppEntry[] = z.array(appSchema).parse(registry.apps);

/** The registry's entry of one app. */
export function appEntry(name: AppName): AppEntry {
  const app = APPS.find((a) => a.name === name);
  if (!app) throw new Error(`${name} is not in the app registry (packages/config/src/apps.json)`);
  return app;
}

/** The default port of a worker app, by its queue. */
export function workerDefaultPort(queue: QueueName): number {
  return appEntry(`worker-${queue}`).defaultPort;
}
