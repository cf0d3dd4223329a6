import type { DataSourceRoute } from './data-route';

/** Every simulated data source; each source's module adds its route here. */
export const DATA_SOURCE_ROUTES: readonly DataSourceRoute[] = [];
