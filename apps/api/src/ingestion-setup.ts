import { type Database, ensureDefaultIngestionSources } from '@conveyor/db';
import type { Kysely } from 'kysely';

/**
 * The ingestion sources' set-up (their system schedules), done once per process: started at
 * start-up without holding it up (the API also starts while Postgres is down), and awaited by
 * the ingestion routes, which retry it while it has not succeeded. The scheduler does the same
 * set-up; whichever process comes first makes the schedules, enabled as INGESTION_AUTOSTART says.
 */
export class IngestionSetup {
  private done = false;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly enabled: boolean,
  ) {}

  /** Resolves once the sources are set up; rejects with the database's error (a 503 for a route) if they cannot be now. */
  ready(): Promise<void> {
    if (this.done) return Promise.resolve();
    this.pending ??= ensureDefaultIngestionSources(this.db, this.enabled)
      .then(() => void (this.done = true))
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Sets up again whatever is missing (a schedule deleted by hand), however it went before. */
  async repair(): Promise<void> {
    await ensureDefaultIngestionSources(this.db, this.enabled);
  }

  /** Waits for a set-up in progress to end either way (before the database closes). */
  async settled(): Promise<void> {
    await this.pending?.catch(() => undefined);
  }
}
