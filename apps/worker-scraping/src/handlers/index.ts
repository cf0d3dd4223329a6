import type { QueueHandlers } from '@conveyor/queue';
import { type IngestSourceDeps, ingestSourceHandler } from './ingest-source';

/** The scraping queue's handlers: one for each of its tasks in the catalog. */
export function scrapingHandlers(deps: IngestSourceDeps): QueueHandlers<'scraping'> {
  return { ingest_source: ingestSourceHandler(deps) };
}
