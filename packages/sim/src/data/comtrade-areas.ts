/** A reporter or partner of UN Comtrade: its M49 code (Comtrade's own for a few), ISO3 code and description. */
export interface SimArea {
  code: number;
  iso: string;
  desc: string;
}

export const WORLD: SimArea = { code: 0, iso: 'W00', desc: 'World' };

const area = (code: number, iso: string, desc: string): SimArea => ({ code, iso, desc });

/** The reporters the simulator has data for (each also a partner of the others). */
export const SIM_REPORTERS: readonly SimArea[] = [
  area(842, 'USA', 'USA'),
  area(156, 'CHN', 'China'),
  area(276, 'DEU', 'Germany'),
  area(392, 'JPN', 'Japan'),
  area(826, 'GBR', 'United Kingdom'),
  area(251, 'FRA', 'France'),
  area(380, 'ITA', 'Italy'),
  area(124, 'CAN', 'Canada'),
  area(484, 'MEX', 'Mexico'),
  area(76, 'BRA', 'Brazil'),
  area(699, 'IND', 'India'),
  area(410, 'KOR', 'Rep. of Korea'),
  area(36, 'AUS', 'Australia'),
  area(724, 'ESP', 'Spain'),
  area(528, 'NLD', 'Netherlands'),
  area(757, 'CHE', 'Switzerland'),
  area(643, 'RUS', 'Russian Federation'),
  area(710, 'ZAF', 'South Africa'),
  area(404, 'KEN', 'Kenya'),
  area(566, 'NGA', 'Nigeria'),
  area(818, 'EGY', 'Egypt'),
  area(360, 'IDN', 'Indonesia'),
  area(764, 'THA', 'Thailand'),
  area(704, 'VNM', 'Viet Nam'),
  area(458, 'MYS', 'Malaysia'),
  area(702, 'SGP', 'Singapore'),
  area(32, 'ARG', 'Argentina'),
  area(152, 'CHL', 'Chile'),
  area(170, 'COL', 'Colombia'),
  area(792, 'TUR', 'Türkiye'),
  area(682, 'SAU', 'Saudi Arabia'),
  area(784, 'ARE', 'United Arab Emirates'),
  area(616, 'POL', 'Poland'),
  area(752, 'SWE', 'Sweden'),
];

/** The partners: the world as a whole, then every reporter. */
export const SIM_PARTNERS: readonly SimArea[] = [WORLD, ...SIM_REPORTERS];
