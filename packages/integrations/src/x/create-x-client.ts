import { DryRunXClient } from './dry-run-x-client';
import { XApiClient, type XApiClientOptions } from './x-api-client';
import type { XClient } from './x-client';

export interface CreateXClientOptions extends Partial<XApiClientOptions> {
  /** True: nothing is sent to X (DryRunXClient). X_DRY_RUN, on by default in development. */
  dryRun: boolean;
}

/** The X client a worker uses: the dry-run one, or the HTTP one against `baseUrl` (https://api.x.com by default). */
export function createXClient({ dryRun, baseUrl = 'https://api.x.com', ...options }: CreateXClientOptions): XClient {
  return dryRun ? new DryRunXClient(options.logger) : new XApiClient({ ...options, baseUrl });
}
