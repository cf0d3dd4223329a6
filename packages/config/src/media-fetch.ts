import { hostAllowlistText } from '@conveyor/contracts';
import { z } from 'zod';

/**
 * What an app that fetches users' URLs (the publishing worker's prepare_media, later the
 * ingestion sources) reads besides its own variables; merge it in with `.extend(mediaFetchEnvSchema.shape)`.
 */
export const mediaFetchEnvSchema = z.object({
  /**
   * host[:port],…: hosts a fetch may reach although they resolve to a private, loopback or
   * link-local address (an operator's internal CDN; 127.0.0.1:<port> for local runs and
   * tests). A host without a port covers only its scheme's default port. An operator setting:
   * never fill it from user input. Cloud metadata addresses stay refused whatever it says.
   */
  MEDIA_FETCH_ALLOW_HOSTS: hostAllowlistText.default([]),
});

export type MediaFetchEnv = z.infer<typeof mediaFetchEnvSchema>;
