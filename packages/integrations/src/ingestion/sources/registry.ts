import type { IngestionSourceName } from '@conveyor/contracts';
import type { IngestionSource } from '../source';
import { type ComtradeSettings, createComtradeSource } from './comtrade';
import { type FredSettings, createFredSource } from './fred';
import { type GdeltSettings, createGdeltSource } from './gdelt';
import { type ReliefwebSettings, createReliefwebSource } from './reliefweb';
import { type WorldBankSettings, createWorldBankSource } from './worldbank';

/** Every source's settings: the scraping worker's IngestionEnv (packages/config) has them all. */
export type IngestionSourceSettings = GdeltSettings & ReliefwebSettings & FredSettings & WorldBankSettings & ComtradeSettings;

/** The five sources, built from the configuration; a new source is one line here and one name in contracts. */
export function createIngestionSources(settings: IngestionSourceSettings): Record<IngestionSourceName, IngestionSource> {
  return {
    gdelt: createGdeltSource(settings) as IngestionSource,
    reliefweb: createReliefwebSource(settings) as IngestionSource,
    fred: createFredSource(settings) as IngestionSource,
    worldbank: createWorldBankSource(settings) as IngestionSource,
    comtrade: createComtradeSource(settings) as IngestionSource,
  };
}
