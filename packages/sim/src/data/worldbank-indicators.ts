import { DAY_MS } from './sim-calendar';
import { stableUnit } from './stable-random';
import type { SimEconomy } from './worldbank-economies';

interface SimIndicator {
  name: string;
  /** The `decimal` the API gives the indicator's rows. */
  decimal: number;
  /** The value of an economy in a year; `u` is fixed for the economy and indicator. */
  value(u: number, year: number, aggregate: boolean): number;
}

// Totals grow from a size fixed per economy; rates swing around a level fixed per economy.
const growing = (smallest: number, decades: number, growth: number) => (u: number, year: number, aggregate: boolean) =>
  smallest * 10 ** (decades * u + (aggregate ? 2 : 0)) * (1 + growth * (0.5 + u)) ** (year - 1960);
const swinging = (low: number, high: number) => (u: number, year: number) => low + (high - low) * (0.5 + 0.4 * Math.sin(year / 3 + 10 * u));

/** The indicators the simulator knows, by their World Bank ids; any other is "not found". */
const INDICATORS: Readonly<Record<string, SimIndicator>> = {
  'NY.GDP.MKTP.CD': { name: 'GDP (current US$)', decimal: 0, value: growing(1e9, 3, 0.05) },
  'NY.GDP.PCAP.CD': { name: 'GDP per capita (current US$)', decimal: 0, value: growing(200, 2, 0.03) },
  'SP.POP.TOTL': { name: 'Population, total', decimal: 0, value: growing(1e6, 2.5, 0.015) },
  'FP.CPI.TOTL.ZG': { name: 'Inflation, consumer prices (annual %)', decimal: 1, value: swinging(-1, 15) },
  'SL.UEM.TOTL.ZS': { name: 'Unemployment, total (% of total labor force) (modeled ILO estimate)', decimal: 1, value: swinging(2, 20) },
  'SP.DYN.LE00.IN': { name: 'Life expectancy at birth, total (years)', decimal: 1, value: swinging(50, 84) },
  'NE.EXP.GNFS.ZS': { name: 'Exports of goods and services (% of GDP)', decimal: 1, value: swinging(8, 90) },
};

export function isSimIndicator(id: string): boolean {
  return Object.hasOwn(INDICATORS, id);
}

/** The first year of the API's annual data. */
export const FIRST_YEAR = 1960;

/** The last year the database has rows for at `now` (with nulls until each economy's value is published). */
export function lastYearAt(now: Date): number {
  return now.getUTCFullYear() - 1;
}

/** One row of an indicator query, as the API's JSON has it. */
export interface SimIndicatorRow {
  indicator: { id: string; value: string };
  country: { id: string; value: string };
  countryiso3code: string;
  date: string;
  value: number | null;
  unit: string;
  obs_status: string;
  decimal: number;
}

/**
 * The rows of an indicator for these economies and years at `now`: each economy's years
 * newest first. A year's value is published 2 to 18 months after it ends (fixed per economy,
 * indicator and year) and is null until then; a few economies never report an indicator.
 */
export function indicatorRows(indicatorId: string, economies: readonly SimEconomy[], fromYear: number, toYear: number, now: Date): SimIndicatorRow[] {
  const indicator = INDICATORS[indicatorId]!;
  const first = Math.max(fromYear, FIRST_YEAR);
  const last = Math.min(toYear, lastYearAt(now));
  const rows: SimIndicatorRow[] = [];
  for (const economy of economies) {
    const u = stableUnit('wb-size', indicatorId, economy.iso3);
    const reports = stableUnit('wb-reports', indicatorId, economy.iso3) >= 0.05;
    for (let year = last; year >= first; year--) {
      const publishedAt = Date.UTC(year + 1, 0, 1) + (60 + Math.floor(480 * stableUnit('wb-published', indicatorId, economy.iso3, year))) * DAY_MS;
      const value = reports && publishedAt <= now.getTime() ? round(indicator.value(u, year, economy.aggregate), indicator.decimal) : null;
      rows.push({
        indicator: { id: indicatorId, value: indicator.name },
        country: { id: economy.id, value: economy.name },
        countryiso3code: economy.iso3,
        date: String(year),
        value,
        unit: '',
        obs_status: '',
        decimal: indicator.decimal,
      });
    }
  }
  return rows;
}

function round(value: number, decimal: number): number {
  // Totals are whole numbers; rates keep a few more digits than they show, as the API's do.
  return decimal === 0 ? Math.round(value) : Math.round(value * 1e4) / 1e4;
}
