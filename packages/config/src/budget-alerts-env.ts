import { hostAllowlistText } from '@conveyor/contracts';
import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();

/** What the API (checking a webhook URL at PUT) and the scheduler (sending) read about budget alert webhooks. */
export const budgetAlertHostsEnvSchema = z.object({
  /**
   * host[:port],…: webhook hosts a budget alert may reach although they resolve to a private or
   * loopback address (127.0.0.1:<port> for local runs and tests). Off (empty) by default; an
   * operator setting, never user input. Cloud metadata addresses stay refused whatever it says.
   */
  BUDGET_ALERT_ALLOW_HOSTS: hostAllowlistText.default([]),
});

/** The scheduler's sending of budget alerts: how often it looks, how long a call may take, how it retries. */
export const budgetAlertSendEnvSchema = budgetAlertHostsEnvSchema.extend({
  /** Milliseconds between passes that send due budget alerts. */
  BUDGET_ALERT_INTERVAL_MS: positiveInt.default(5_000),
  /** Milliseconds one webhook call may take before it counts as a timeout (and is retried). */
  BUDGET_ALERT_TIMEOUT_MS: positiveInt.default(10_000),
  /** Calls one alert gets at most before it is recorded failed. */
  BUDGET_ALERT_MAX_ATTEMPTS: positiveInt.max(50).default(8),
  /** Milliseconds before the first retry; each next one waits twice as long, at most an hour. */
  BUDGET_ALERT_BACKOFF_MS: positiveInt.default(30_000),
});
