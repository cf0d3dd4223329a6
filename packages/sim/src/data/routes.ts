import { comtradeRoute } from './comtrade-route';
import type { DataSourceRoute } from './data-route';
import { fredRoute } from './fred-route';
import { gdeltRoute } from './gdelt-route';
import { reliefwebRoute } from './reliefweb-route';
import { worldBankRoute } from './worldbank-route';

/** Every simulated data source; each source's module adds its route here. */
export const DATA_SOURCE_ROUTES: readonly DataSourceRoute[] = [gdeltRoute, reliefwebRoute, fredRoute, worldBankRoute, comtradeRoute];
