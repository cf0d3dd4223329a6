import { type TaskEvent, type TaskLogEvent, taskEventSchema, taskLogEventSchema } from '@conveyor/contracts';
import type { Logger } from '@conveyor/observability';
import { type RedisClient, type WatchRegistry, taskEventsChannel } from '@conveyor/queue';
import { type SlotLimits, TenantSlots } from './tenant-slots';

/** A state change, or (kind 'log') a line the handler wrote; both come on the task's channel. */
type Listener = (event: TaskEvent | TaskLogEvent) => void;

/** How many live-event streams may be open at once. */
export type StreamLimits = SlotLimits;

/** A stream's place, or why there is none. */
export type Admission = { release: () => void } | { refused: string };

/**
 * One Redis subscriber connection for the whole API process, shared by every live stream:
 * a task's channel is subscribed while at least one client watches it, and the watch is
 * registered (`watches`) so that workers publish that task's events: they publish none for
 * tasks nobody streams.
 */
export class TaskEventHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly streams = new Set<() => void>();
  private readonly slots: TenantSlots;

  constructor(
    private readonly subscriber: RedisClient,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly watches?: WatchRegistry,
    limits: StreamLimits = { perTenant: Infinity, perProcess: Infinity },
  ) {
    this.slots = new TenantSlots(limits);
    subscriber.on('message', (channel: string, message: string) => {
      const taskId = channel.slice(channel.lastIndexOf(':') + 1);
      const json = safeJson(message) as { kind?: unknown } | undefined;
      const parsed = json?.kind === 'log' ? taskLogEventSchema.safeParse(json) : taskEventSchema.safeParse(json);
      if (!parsed.success) return;
      for (const listener of this.listeners.get(taskId) ?? []) listener(parsed.data);
    });
  }

  /** Calls listener with each event of the task until the returned function is called. */
  async watch(taskId: string, listener: Listener): Promise<() => void> {
    let set = this.listeners.get(taskId);
    if (!set) {
      set = new Set();
      this.listeners.set(taskId, set);
      await this.subscriber.subscribe(taskEventsChannel(this.prefix, taskId)).catch((error: unknown) => {
        // Without Redis the stream still works from its periodic re-read of Postgres.
        this.logger.warn('could not subscribe to task events; falling back to polling', { task_id: taskId, error });
      });
      // Subscribed first, then announced: an event a worker publishes once it knows is heard.
      await this.watches?.add(taskId).catch((error: unknown) => {
        this.logger.warn('could not register the watch; the stream relies on re-reading Postgres', { task_id: taskId, error });
      });
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(taskId) === set) {
        this.listeners.delete(taskId);
        this.subscriber.unsubscribe(taskEventsChannel(this.prefix, taskId)).catch(() => undefined);
        this.watches?.remove(taskId).catch(() => undefined); // or it expires by itself
      }
    };
  }

  get watchedTasks(): number {
    return this.listeners.size;
  }

  /**
   * Takes a stream slot for the tenant, or says why not: each tenant and the whole process
   * have a cap, so neither one tenant nor all of them together can pin the process's memory
   * and sockets with streams. release() gives the slot back (once).
   */
  admit(tenantId: string): Admission {
    const slot = this.slots.take(tenantId);
    if (!('refused' in slot)) return slot;
    const { perTenant } = this.slots.limits;
    if (slot.refused === 'tenant')
      return { refused: `this tenant already has ${slot.held} live-event streams open (at most ${perTenant}); close one or poll GET /tasks/{id}` };
    return { refused: 'this API process has as many live-event streams open as it serves; retry shortly or poll GET /tasks/{id}' };
  }

  /** Streams open in this process. */
  get openStreams(): number {
    return this.slots.held;
  }

  /** Registers a way to end an open stream; returns its deregistration. */
  trackStream(end: () => void): () => void {
    this.streams.add(end);
    return () => this.streams.delete(end);
  }

  /** Ends every open stream (on shutdown), so the server can close, and drops this process's watches. */
  endAllStreams(): void {
    for (const end of [...this.streams]) end();
    void this.watches?.close().catch(() => undefined);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
