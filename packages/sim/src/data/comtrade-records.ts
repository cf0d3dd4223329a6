import { WORLD, type SimArea } from './comtrade-areas';
import { DAY_MS, monthEnd } from './sim-calendar';
import { stableUnit } from './stable-random';

export const FLOWS = { M: 'Import', X: 'Export', RM: 'Re-import', RX: 'Re-export' } as const;
export type FlowCode = keyof typeof FLOWS;

/** TOTAL (all commodities) or an HS chapter (two digits). */
export interface SimCommodity {
  code: string;
  desc: string;
  aggrLevel: number;
}

export const TOTAL: SimCommodity = { code: 'TOTAL', desc: 'All Commodities', aggrLevel: 0 };
const CHAPTER_NAMES: Readonly<Record<string, string>> = {
  '27': 'Mineral fuels, mineral oils and products of their distillation; bituminous substances; mineral waxes',
  '84': 'Machinery and mechanical appliances, boilers, nuclear reactors; parts thereof',
  '85': 'Electrical machinery and equipment and parts thereof',
  '87': 'Vehicles; other than railway or tramway rolling stock, and parts and accessories thereof',
};

/** The HS chapters 01-97 (77 is reserved), AG2 in a query. */
export const CHAPTERS: readonly SimCommodity[] = Array.from({ length: 97 }, (_, i) => String(i + 1).padStart(2, '0'))
  .filter((code) => code !== '77')
  .map((code) => ({ code, desc: CHAPTER_NAMES[code] ?? `HS chapter ${code}`, aggrLevel: 2 }));

export interface SimComtradeQuery {
  freq: 'A' | 'M';
  /** YYYYMM (monthly) or YYYY (annual), already checked. */
  periods: readonly string[];
  reporters: readonly SimArea[];
  partners: readonly SimArea[];
  flows: readonly FlowCode[];
  commodities: readonly SimCommodity[];
  includeDesc: boolean;
}

/**
 * The records of a query at `now`, by period, reporter, flow, partner and commodity. A
 * reporter's month is published 5 to 19 weeks after it ends (fixed per reporter), its year
 * two months after its December; until then the query finds nothing for it.
 */
export function comtradeRecords(query: SimComtradeQuery, now: Date): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const period of query.periods) {
    const year = Number(period.slice(0, 4));
    const month = query.freq === 'M' ? Number(period.slice(4)) : 12;
    for (const reporter of query.reporters) {
      const lagDays = 35 + Math.floor(100 * stableUnit('comtrade-lag', reporter.code)) + (query.freq === 'A' ? 60 : 0);
      if (monthEnd(year, month) + lagDays * DAY_MS > now.getTime()) continue;
      for (const flow of query.flows)
        for (const partner of query.partners) {
          if (partner.code === reporter.code) continue;
          for (const commodity of query.commodities) records.push(record(query, period, year, reporter, flow, partner, commodity));
        }
    }
  }
  return records;
}

function record(query: SimComtradeQuery, period: string, year: number, reporter: SimArea, flow: FlowCode, partner: SimArea, commodity: SimCommodity) {
  const monthly = query.freq === 'M';
  const month = monthly ? Number(period.slice(4)) : 52;
  const value = tradeValue(query.freq, period, reporter, flow, partner, commodity);
  const desc = <T>(text: T) => (query.includeDesc ? text : null);
  return {
    typeCode: 'C',
    freqCode: query.freq,
    refPeriodId: year * 10_000 + (monthly ? month : 1) * 100 + 1,
    refYear: year,
    refMonth: month,
    period,
    reporterCode: reporter.code,
    reporterISO: reporter.iso,
    reporterDesc: desc(reporter.desc),
    flowCode: flow,
    flowDesc: desc(FLOWS[flow]),
    partnerCode: partner.code,
    partnerISO: partner.iso,
    partnerDesc: desc(partner.desc),
    partner2Code: WORLD.code,
    partner2ISO: WORLD.iso,
    partner2Desc: desc(WORLD.desc),
    classificationCode: year >= 2022 ? 'H6' : year >= 2017 ? 'H5' : year >= 2012 ? 'H4' : 'H3',
    classificationSearchCode: 'HS',
    isOriginalClassification: true,
    cmdCode: commodity.code,
    cmdDesc: desc(commodity.desc),
    aggrLevel: commodity.aggrLevel,
    isLeaf: false,
    customsCode: 'C00',
    customsDesc: desc('TOTAL CPC'),
    mosCode: '0',
    motCode: 0,
    motDesc: desc('TOTAL MOT'),
    qtyUnitCode: -1,
    qtyUnitAbbr: desc('N/A'),
    qty: null,
    isQtyEstimated: false,
    altQtyUnitCode: -1,
    altQtyUnitAbbr: desc('N/A'),
    altQty: null,
    isAltQtyEstimated: false,
    netWgt: Math.round(value / (2 + 8 * stableUnit('comtrade-weight', reporter.code, commodity.code))),
    isNetWgtEstimated: false,
    grossWgt: null,
    isGrossWgtEstimated: false,
    cifvalue: flow.endsWith('M') ? value : null,
    fobvalue: flow.endsWith('X') ? value : null,
    primaryValue: value,
    legacyEstimationFlag: 0,
    isReported: true,
    isAggregate: false,
  };
}

/** US dollars: the reporter's size, the month's season, the partner's and commodity's shares, and noise. */
function tradeValue(freq: string, period: string, reporter: SimArea, flow: FlowCode, partner: SimArea, commodity: SimCommodity): number {
  const size = 1e9 * 10 ** (2 * stableUnit('comtrade-size', reporter.code, flow)) * (freq === 'A' ? 12 : 1);
  const season = 1 + 0.1 * Math.sin(Number(period.slice(4) || 6) / 2);
  const partnerShare = partner.code === WORLD.code ? 1 : 0.001 + 0.15 * stableUnit('comtrade-partner', reporter.code, partner.code);
  const commodityShare = commodity.code === TOTAL.code ? 1 : 0.001 + 0.08 * stableUnit('comtrade-cmd', reporter.code, commodity.code);
  const noise = 1 + 0.2 * (stableUnit('comtrade-value', freq, period, reporter.code, flow, partner.code, commodity.code) - 0.5);
  return Math.round(size * season * partnerShare * commodityShare * noise * (flow.startsWith('R') ? 0.05 : 1));
}
