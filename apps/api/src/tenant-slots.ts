/** How many of something (live-event streams, uploads) may be held at once. */
export interface SlotLimits {
  perTenant: number;
  perProcess: number;
}

/** A slot taken, with the function that gives it back (once); or whose cap refused it and how many the tenant holds. */
export type Slot = { release: () => void } | { refused: 'tenant' | 'process'; held: number };

/**
 * Slots of a scarce thing in this process, capped per tenant and for the whole process, so
 * that neither one tenant nor all of them together can take all of it: the live-event streams
 * (memory, sockets) and the dataset uploads (each holds a Postgres connection while its
 * client sends).
 */
export class TenantSlots {
  private open = 0;
  private readonly byTenant = new Map<string, number>();

  constructor(readonly limits: SlotLimits) {}

  take(tenantId: string): Slot {
    const mine = this.byTenant.get(tenantId) ?? 0;
    if (mine >= this.limits.perTenant) return { refused: 'tenant', held: mine };
    if (this.open >= this.limits.perProcess) return { refused: 'process', held: mine };
    this.open += 1;
    this.byTenant.set(tenantId, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.open -= 1;
        const left = (this.byTenant.get(tenantId) ?? 1) - 1;
        if (left > 0) this.byTenant.set(tenantId, left);
        else this.byTenant.delete(tenantId);
      },
    };
  }

  /** Slots held in this process. */
  get held(): number {
    return this.open;
  }
}
