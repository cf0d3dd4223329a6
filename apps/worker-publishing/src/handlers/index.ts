import type { QueueHandlers } from '@conveyor/queue';
import type { PublishingDeps } from '../publishing-deps';
import { captureMetricsHandler } from './capture-metrics';
import { prepareMediaHandler } from './prepare-media';
import { publishPostHandler } from './publish-post';

/** The publishing queue's handlers. */
export function publishingHandlers(deps: PublishingDeps): QueueHandlers<'publishing'> {
  return {
    publish_post: publishPostHandler(deps),
    prepare_media: prepareMediaHandler(deps),
    capture_metrics: captureMetricsHandler(deps),
  };
}
