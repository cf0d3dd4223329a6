import { stableDigits, stableUnit } from './stable-random';

/** The simulated archive is generated in slots of six minutes, each with 0 to 2 reports (about 240 a day). */
const SLOT_MS = 6 * 60_000;
/** The simulated archive begins here (ReliefWeb's goes back to 1996; nobody needs that here). */
export const RELIEFWEB_ARCHIVE_START_MS = Date.UTC(2020, 0, 1);

/**
 * A report: its numeric id and creation time, and its fields as ReliefWeb's full profile has
 * them, built when first read (a long range holds a million reports; most requests read the
 * fields of one page only).
 */
export class ReliefwebReport {
  private built: Record<string, unknown> | undefined;

  constructor(
    readonly id: number,
    readonly createdMs: number,
    private readonly seed: number,
  ) {}

  get fields(): Record<string, unknown> {
    this.built ??= buildFields(this.id, this.createdMs, this.seed);
    return this.built;
  }
}

const COUNTRIES = [
  { id: 13, name: 'Afghanistan', iso3: 'afg', lat: 33.84, lon: 66.03 },
  { id: 220, name: 'Sudan', iso3: 'sdn', lat: 15.59, lon: 30.22 },
  { id: 131, name: 'Kenya', iso3: 'ken', lat: 0.53, lon: 37.86 },
  { id: 226, name: 'Syrian Arab Republic', iso3: 'syr', lat: 35.01, lon: 38.51 },
  { id: 255, name: 'Yemen', iso3: 'yem', lat: 15.94, lon: 47.59 },
  { id: 107, name: 'Haiti', iso3: 'hti', lat: 18.94, lon: -72.69 },
  { id: 31, name: 'Bangladesh', iso3: 'bgd', lat: 23.68, lon: 90.35 },
  { id: 49, name: 'Democratic Republic of the Congo', iso3: 'cod', lat: -2.88, lon: 23.65 },
  { id: 241, name: 'Ukraine', iso3: 'ukr', lat: 49.0, lon: 31.38 },
  { id: 175, name: 'Mozambique', iso3: 'moz', lat: -17.27, lon: 35.53 },
];
const SOURCES = [
  { id: 1503, name: 'UN Office for the Coordination of Humanitarian Affairs', shortname: 'OCHA', type: 'International Organization' },
  { id: 1741, name: 'World Food Programme', shortname: 'WFP', type: 'International Organization' },
  { id: 2868, name: 'UN High Commissioner for Refugees', shortname: 'UNHCR', type: 'International Organization' },
  { id: 1654, name: "UN Children's Fund", shortname: 'UNICEF', type: 'International Organization' },
  { id: 1242, name: 'International Federation of Red Cross And Red Crescent Societies', shortname: 'IFRC', type: 'International Organization' },
  { id: 1255, name: 'Médecins Sans Frontières', shortname: 'MSF', type: 'Non-governmental Organization' },
];
const FORMATS = [
  { id: 10, name: 'Situation Report' },
  { id: 8, name: 'News and Press Release' },
  { id: 5, name: 'Assessment' },
  { id: 4, name: 'Appeal' },
  { id: 3, name: 'Analysis' },
];
const THEMES = [
  { id: 4593, name: 'Food and Nutrition' },
  { id: 4595, name: 'Health' },
  { id: 4598, name: 'Protection and Human Rights' },
  { id: 4603, name: 'Shelter and Non-Food Items' },
  { id: 4604, name: 'Water Sanitation Hygiene' },
];
const LANGUAGES = [
  { id: 267, name: 'English', code: 'en' },
  { id: 267, name: 'English', code: 'en' },
  { id: 267, name: 'English', code: 'en' },
  { id: 268, name: 'French', code: 'fr' },
  { id: 269, name: 'Spanish', code: 'es' },
];
const DISASTER_TYPES = [
  { id: 4611, name: 'Flood', code: 'FL' },
  { id: 4672, name: 'Drought', code: 'DR' },
  { id: 4642, name: 'Epidemic', code: 'EP' },
  { id: 4618, name: 'Tropical Cyclone', code: 'TC' },
  { id: 41764, name: 'Complex Emergency', code: 'OT' },
];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** ReliefWeb's dates: ISO 8601 to the second with an explicit +00:00. */
export const reliefwebDate = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

/** The reports of one slot (ids are the slot's, so they grow with time and never repeat). */
function slotReports(slot: number): ReliefwebReport[] {
  const count = [0, 1, 1, 2][Math.floor(stableUnit('reliefweb', slot) * 4)]!;
  const reports = [];
  for (let j = 0; j < count; j++) {
    const seed = stableUnit('reliefweb', slot, j);
    reports.push(new ReliefwebReport(slot * 4 + j, slot * SLOT_MS + stableDigits(seed)(SLOT_MS / 1000) * 1000, seed));
  }
  return reports;
}

function buildFields(id: number, createdMs: number, seed: number): Record<string, unknown> {
  const draw = stableDigits(seed);
  draw(SLOT_MS / 1000); // the creation second, drawn first by slotReports
  const pick = <T>(list: readonly T[]): T => list[draw(list.length)]!;
  const country = pick(COUNTRIES);
  const source = pick(SOURCES);
  const format = pick(FORMATS);
  const theme = pick(THEMES);
  const language = pick(LANGUAGES);
  const disasterType = pick(DISASTER_TYPES);
  // The original publication is up to two days before ReliefWeb posted it, at midnight.
  const originalMs = (Math.floor(createdMs / 86_400_000) - draw(3)) * 86_400_000;
  const original = new Date(originalMs);
  const title = `${country.name}: ${disasterType.name} - ${format.name} No. ${draw(90) + 1} (${original.getUTCDate()} ${MONTHS[original.getUTCMonth()]} ${original.getUTCFullYear()})`;
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  const countryRef = { id: country.id, name: country.name, shortname: country.name, iso3: country.iso3, location: { lat: country.lat, lon: country.lon } };
  return {
    id,
    title,
    status: 'published',
    url: `https://reliefweb.int/node/${id}`,
    url_alias: `https://reliefweb.int/report/${country.name.toLowerCase().replace(/[^a-z]+/g, '-')}/${slug}`,
    date: { created: reliefwebDate(createdMs), changed: reliefwebDate(createdMs), original: reliefwebDate(originalMs) },
    primary_country: countryRef,
    country: [{ ...countryRef, primary: true }],
    source: [{ id: source.id, name: source.name, shortname: source.shortname, type: { name: source.type } }],
    format: [format],
    theme: [theme],
    language: [language],
    disaster_type: [disasterType],
  };
}

/** Every report created in [fromMs, toMs) and by nowMs, in creation order. */
export function reliefwebReportsBetween(fromMs: number, toMs: number, nowMs: number): ReliefwebReport[] {
  const first = Math.max(fromMs, RELIEFWEB_ARCHIVE_START_MS);
  const last = Math.min(toMs - 1, nowMs);
  const reports: ReliefwebReport[] = [];
  for (let slot = Math.floor(first / SLOT_MS); slot * SLOT_MS <= last; slot++) {
    for (const report of slotReports(slot)) if (report.createdMs >= first && report.createdMs <= last) reports.push(report);
  }
  return reports.sort((a, b) => a.createdMs - b.createdMs || a.id - b.id);
}
