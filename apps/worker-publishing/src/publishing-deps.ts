import type { Database } from '@conveyor/db';
import type { SafeFetchResult, SecretsProvider, XClient } from '@conveyor/integrations';
import type { FollowUpTasks } from '@conveyor/queue';
import type { MediaRef } from '@conveyor/contracts';
import type { Kysely } from 'kysely';

/** What the publishing handlers work with; main.ts builds it from the configuration. */
export interface PublishingDeps {
  db: Kysely<Database>;
  /** The X client: HTTP, or dry-run (no call, marked fake ids). */
  x: XClient;
  /** Turns an account's token_secret_ref into its token, at the moment of the call. */
  secrets: SecretsProvider;
  /** Fetches one media reference within X's limits for its kind, refusing private addresses. */
  fetchMedia: (ref: MediaRef, signal: AbortSignal) => Promise<SafeFetchResult>;
  /** Submits the metrics captures of a published post. */
  followUps: FollowUpTasks;
  /** How long after publication metrics are captured ('15m', '1h', '24h', '7d' by default). */
  metricsStages: readonly string[];
  /**
   * How old a `publishing` hold of another task must be before this one takes the post over:
   * past it, the holder's attempt has certainly ended (longer than publish_post's hard limit).
   */
  staleHoldMs: number;
}
