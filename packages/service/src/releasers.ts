import type { Logger } from '@conveyor/observability';

type Release = () => unknown;

/**
 * What a service acquired, each with how to let it go. Every resource registers its release
 * as it is acquired; release() runs them last-acquired-first, so whatever uses a connection
 * stops before the connection closes (the pattern of graphile-worker's withReleasers).
 */
export class Releasers {
  private readonly entries: { name: string; release: Release }[] = [];

  constructor(private readonly logger?: Logger) {}

  add(name: string, release: Release): void {
    this.entries.push({ name, release });
  }

  /**
   * Runs every release once, last-acquired-first. One that throws is logged and the others
   * still run (a stuck queue must not keep the database pool open); once all have run, the
   * first error is thrown. A second call has nothing left to release.
   */
  async release(): Promise<void> {
    const entries = this.entries.splice(0).reverse();
    const errors: unknown[] = [];
    for (const { name, release } of entries) {
      try {
        await release();
      } catch (error) {
        this.logger?.warn('release failed', { resource: name, error });
        errors.push(error);
      }
    }
    if (errors.length) throw errors[0];
  }
}
