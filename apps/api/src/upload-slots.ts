/** How many dataset uploads may stream at once. */
export interface UploadSlotLimits {
  perTenant: number;
  perProcess: number;
}

/**
 * The dataset uploads streaming now, per tenant and in this process. Each holds a Postgres
 * connection (its transaction) for as long as its client takes to send it, so they are capped
 * below the pool's size: the other routes keep connections to work with.
 */
export class UploadSlots {
  private open = 0;
  private readonly byTenant = new Map<string, number>();

  constructor(private readonly limits: UploadSlotLimits) {}

  /** A slot for one upload, with the function that gives it back; or why there is none. */
  take(tenantId: string): { release: () => void } | { refused: string } {
    const mine = this.byTenant.get(tenantId) ?? 0;
    if (mine >= this.limits.perTenant) return { refused: `this tenant already has ${mine} upload(s) in progress (at most ${this.limits.perTenant})` };
    if (this.open >= this.limits.perProcess) return { refused: 'this server has as many uploads in progress as it takes' };
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
}
