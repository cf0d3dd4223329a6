/** An economy of the World Bank's API: its ISO3 code, the id the API shows (ISO2, or the aggregate's code) and its name. */
export interface SimEconomy {
  iso3: string;
  id: string;
  name: string;
  aggregate: boolean;
}

const economy = (aggregate: boolean) => (iso3: string, id: string, name: string) => ({ iso3, id, name, aggregate });
const region = economy(true);
const country = economy(false);

// A subset of the API's 296 economies (the large ones of every region, and a few of the
// aggregates), in the order `all` lists them: aggregates first, then countries, each by name.
const ECONOMIES: readonly SimEconomy[] = [
  region('EAS', 'Z4', 'East Asia & Pacific'),
  region('ECS', 'Z7', 'Europe & Central Asia'),
  region('EUU', 'EU', 'European Union'),
  region('HIC', 'XD', 'High income'),
  region('LCN', 'ZJ', 'Latin America & Caribbean'),
  region('LIC', 'XM', 'Low income'),
  region('MEA', 'ZQ', 'Middle East & North Africa'),
  region('NAC', 'XU', 'North America'),
  region('SAS', '8S', 'South Asia'),
  region('SSF', 'ZG', 'Sub-Saharan Africa'),
  region('WLD', '1W', 'World'),
  ...(
    [
      ['AFG', 'AF', 'Afghanistan'],
      ['ARG', 'AR', 'Argentina'],
      ['AUS', 'AU', 'Australia'],
      ['AUT', 'AT', 'Austria'],
      ['BGD', 'BD', 'Bangladesh'],
      ['BEL', 'BE', 'Belgium'],
      ['BRA', 'BR', 'Brazil'],
      ['CAN', 'CA', 'Canada'],
      ['CHL', 'CL', 'Chile'],
      ['CHN', 'CN', 'China'],
      ['COL', 'CO', 'Colombia'],
      ['CZE', 'CZ', 'Czechia'],
      ['DNK', 'DK', 'Denmark'],
      ['EGY', 'EG', 'Egypt, Arab Rep.'],
      ['ETH', 'ET', 'Ethiopia'],
      ['FIN', 'FI', 'Finland'],
      ['FRA', 'FR', 'France'],
      ['DEU', 'DE', 'Germany'],
      ['GHA', 'GH', 'Ghana'],
      ['GRC', 'GR', 'Greece'],
      ['IND', 'IN', 'India'],
      ['IDN', 'ID', 'Indonesia'],
      ['IRN', 'IR', 'Iran, Islamic Rep.'],
      ['IRQ', 'IQ', 'Iraq'],
      ['IRL', 'IE', 'Ireland'],
      ['ISR', 'IL', 'Israel'],
      ['ITA', 'IT', 'Italy'],
      ['JPN', 'JP', 'Japan'],
      ['KEN', 'KE', 'Kenya'],
      ['KOR', 'KR', 'Korea, Rep.'],
      ['MYS', 'MY', 'Malaysia'],
      ['MEX', 'MX', 'Mexico'],
      ['MAR', 'MA', 'Morocco'],
      ['NLD', 'NL', 'Netherlands'],
      ['NZL', 'NZ', 'New Zealand'],
      ['NGA', 'NG', 'Nigeria'],
      ['NOR', 'NO', 'Norway'],
      ['PAK', 'PK', 'Pakistan'],
      ['PER', 'PE', 'Peru'],
      ['PHL', 'PH', 'Philippines'],
      ['POL', 'PL', 'Poland'],
      ['PRT', 'PT', 'Portugal'],
      ['ROU', 'RO', 'Romania'],
      ['RUS', 'RU', 'Russian Federation'],
      ['SAU', 'SA', 'Saudi Arabia'],
      ['SGP', 'SG', 'Singapore'],
      ['ZAF', 'ZA', 'South Africa'],
      ['ESP', 'ES', 'Spain'],
      ['LKA', 'LK', 'Sri Lanka'],
      ['SWE', 'SE', 'Sweden'],
      ['CHE', 'CH', 'Switzerland'],
      ['TZA', 'TZ', 'Tanzania'],
      ['THA', 'TH', 'Thailand'],
      ['TUR', 'TR', 'Turkiye'],
      ['UGA', 'UG', 'Uganda'],
      ['UKR', 'UA', 'Ukraine'],
      ['ARE', 'AE', 'United Arab Emirates'],
      ['GBR', 'GB', 'United Kingdom'],
      ['USA', 'US', 'United States'],
      ['VNM', 'VN', 'Viet Nam'],
      ['ZMB', 'ZM', 'Zambia'],
      ['ZWE', 'ZW', 'Zimbabwe'],
    ] as const
  ).map(([iso3, id, name]) => country(iso3, id, name)),
];

/**
 * The economies a request's country part names (`all`, or ISO3/ISO2 codes joined by `;`, any
 * case), in the order the API lists them; undefined when a code is not one the API knows.
 */
export function economiesOf(countryPart: string): SimEconomy[] | undefined {
  const codes = countryPart.toUpperCase().split(';');
  if (codes.includes('ALL')) return codes.length === 1 ? [...ECONOMIES] : undefined;
  const known = (code: string) => ECONOMIES.some((e) => e.iso3 === code || e.id === code);
  if (!codes.every(known)) return undefined;
  return ECONOMIES.filter((e) => codes.includes(e.iso3) || codes.includes(e.id));
}
