import { NotFoundError } from './errors';
import type { Transport } from './http';
import type { BudgetAlertDeliveriesView, BudgetAlertInput, BudgetAlertView } from './types';

/** conveyor.budgetAlerts: the webhook told when spend reaches a share of the cap, and what was sent to it. */
export class BudgetAlerts {
  constructor(private readonly http: Transport) {}

  /** Sets or replaces the webhook. The answer's `secret` (the HMAC-SHA256 key of the signatures) is shown this once: keep it. */
  async put(input: BudgetAlertInput): Promise<BudgetAlertView & { secret: string }> {
    const body = { url: input.url, thresholds: input.thresholds };
    return (await this.http.json<BudgetAlertView & { secret: string }>({ method: 'PUT', path: '/budget-alerts', body, resendable: true })).body;
  }

  /** The webhook without its secret, or null when none is set. */
  async get(): Promise<BudgetAlertView | null> {
    try {
      return (await this.http.json<BudgetAlertView>({ method: 'GET', path: '/budget-alerts', resendable: true })).body;
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  /** Removes the webhook; alerts not yet delivered are recorded failed. False when none was set. */
  async delete(): Promise<boolean> {
    try {
      await this.http.send({ method: 'DELETE', path: '/budget-alerts', resendable: false });
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /** The alerts recorded and how their delivery went, newest period first. */
  async deliveries(): Promise<BudgetAlertDeliveriesView['deliveries']> {
    return (await this.http.json<BudgetAlertDeliveriesView>({ method: 'GET', path: '/budget-alerts/deliveries', resendable: true })).body.deliveries;
  }
}
