import { type GdeltQuery, matchesGdeltQuery, parseGdeltQuery } from './gdelt-query';
import { stableDigits, stableUnit } from './stable-random';

/** GDELT stamps an article with the 15-minute update that saw it: every seendate is on a quarter hour. */
const GDELT_BATCH_MS = 15 * 60_000;
/** The most articles one ArtList answer holds (maxrecords above it is cut to it). */
export const GDELT_MAX_RECORDS = 250;
/** About one update in this many carries a breaking story: more matching articles than one answer can hold. */
const SPIKE_ONE_IN = 96;
const SPIKE_ARTICLES = 320;

/** An article as ArtList's JSON has it. */
export interface GdeltArticle {
  url: string;
  url_mobile: string;
  title: string;
  seendate: string;
  socialimage: string;
  domain: string;
  language: string;
  sourcecountry: string;
}

/** An outlet: GDELT reports its country by name (the query's sourcecountry: takes the FIPS code). */
export interface GdeltOutlet {
  domain: string;
  country: string;
  fips: string;
  language: string;
}

const OUTLETS: readonly GdeltOutlet[] = [
  { domain: 'reuters.com', country: 'United Kingdom', fips: 'UK', language: 'English' },
  { domain: 'apnews.com', country: 'United States', fips: 'US', language: 'English' },
  { domain: 'nytimes.com', country: 'United States', fips: 'US', language: 'English' },
  { domain: 'theguardian.com', country: 'United Kingdom', fips: 'UK', language: 'English' },
  { domain: 'aljazeera.com', country: 'Qatar', fips: 'QA', language: 'English' },
  { domain: 'thehindu.com', country: 'India', fips: 'IN', language: 'English' },
  { domain: 'nation.africa', country: 'Kenya', fips: 'KE', language: 'English' },
  { domain: 'abc.net.au', country: 'Australia', fips: 'AS', language: 'English' },
  { domain: 'cbc.ca', country: 'Canada', fips: 'CA', language: 'English' },
  { domain: 'straitstimes.com', country: 'Singapore', fips: 'SN', language: 'English' },
  { domain: 'elpais.com', country: 'Spain', fips: 'SP', language: 'Spanish' },
  { domain: 'lemonde.fr', country: 'France', fips: 'FR', language: 'French' },
  { domain: 'spiegel.de', country: 'Germany', fips: 'GM', language: 'German' },
  { domain: 'folha.uol.com.br', country: 'Brazil', fips: 'BR', language: 'Portuguese' },
  { domain: 'asahi.com', country: 'Japan', fips: 'JA', language: 'Japanese' },
  { domain: 'aawsat.com', country: 'Saudi Arabia', fips: 'SA', language: 'Arabic' },
];

// Each headline holds its topic's word, so that a query for the topic finds it.
const HEADLINES: Readonly<Record<string, readonly string[]>> = {
  economy: ['{place} economy grows faster than expected', 'Central bank warns of a slowing economy in {place}', 'Economy of {place} faces rising debt costs'],
  trade: ['{place} signs new trade agreement', 'Trade deficit of {place} narrows as exports rise', 'Port strike in {place} disrupts trade'],
  humanitarian: [
    'UN scales up humanitarian aid in {place}',
    'Humanitarian access in {place} remains limited',
    'Aid groups warn of humanitarian crisis in {place}',
  ],
  climate: ['Heatwave in {place} breaks climate records', '{place} unveils climate adaptation plan', 'Climate talks in {place} end without a deal'],
  health: ['Cholera cases rise in {place}, health officials say', '{place} expands health coverage', 'Health workers in {place} strike over pay'],
  energy: ['{place} energy prices fall for a third month', 'New solar energy plant opens in {place}', 'Energy shortages hit {place}'],
  election: ['{place} heads to the polls in a tight election', 'Election results in {place} delayed', 'Opposition in {place} disputes election outcome'],
  conflict: [
    'Fighting in {place} displaces thousands as conflict spreads',
    'Ceasefire talks over the {place} conflict resume',
    'Conflict in {place} drives up food prices',
  ],
};
const TOPICS = Object.keys(HEADLINES);
const PLACES = ['Kenya', 'Sudan', 'Brazil', 'India', 'Germany', 'Indonesia', 'Mexico', 'Nigeria', 'Ukraine', 'Bangladesh', 'Peru', 'Vietnam'];

/** YYYYMMDDTHHMMSSZ, ArtList's seendate. */
export function gdeltSeenDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Every article of the update at `instantMs` (a quarter hour), in a fixed order. */
function updateArticles(instantMs: number): { article: GdeltArticle; outlet: GdeltOutlet; topic: string }[] {
  const spike = stableDigits(stableUnit('gdelt-spike', instantMs));
  const spikeTopic = spike(SPIKE_ONE_IN) === 0 ? TOPICS[spike(TOPICS.length)] : undefined;
  const count = 24 + Math.floor(stableUnit('gdelt', instantMs) * 24) + (spikeTopic ? SPIKE_ARTICLES : 0);
  const day = new Date(instantMs).toISOString().slice(0, 10).replace(/-/g, '/');
  const stamp = (instantMs / 1000).toString(36);
  const items = [];
  for (let i = 0; i < count; i++) {
    const draw = stableDigits(stableUnit('gdelt', instantMs, i));
    const pick = <T>(list: readonly T[]): T => list[draw(list.length)]!;
    const outlet = pick(OUTLETS);
    const drawnTopic = pick(TOPICS);
    const topic = spikeTopic && i >= count - SPIKE_ARTICLES ? spikeTopic : drawnTopic;
    const title = pick(HEADLINES[topic]!).replace('{place}', pick(PLACES));
    const slug = title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    const path = `${day}/${slug}-${stamp}-${i}`;
    const article: GdeltArticle = {
      url: `https://www.${outlet.domain}/${path}`,
      url_mobile: draw(3) === 0 ? `https://m.${outlet.domain}/${path}` : '',
      title,
      seendate: gdeltSeenDate(instantMs),
      socialimage: `https://www.${outlet.domain}/images/${stamp}-${i}.jpg`,
      domain: outlet.domain,
      language: outlet.language,
      sourcecountry: outlet.country,
    };
    items.push({ article, outlet, topic });
  }
  return items;
}

/** The updates (quarter hours) in [fromMs, toMs) that have happened by nowMs, oldest first. */
function updatesBetween(fromMs: number, toMs: number, nowMs: number): number[] {
  const instants: number[] = [];
  const last = Math.min(toMs - 1, nowMs);
  for (let t = Math.ceil(fromMs / GDELT_BATCH_MS) * GDELT_BATCH_MS; t <= last; t += GDELT_BATCH_MS) instants.push(t);
  return instants;
}

/** An update's articles that match the query, in the order GDELT lists articles of one instant (by URL). */
function gdeltUpdateMatches(query: GdeltQuery, instantMs: number): GdeltArticle[] {
  return updateArticles(instantMs)
    .filter((item) => matchesGdeltQuery(query, item))
    .map((item) => item.article)
    .sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
}

/**
 * What ArtList answers for a query over [fromMs, toMs) at nowMs: up to `max` matching
 * articles, newest first (DateDesc) or oldest first (DateAsc).
 */
export function searchGdelt(query: GdeltQuery, fromMs: number, toMs: number, nowMs: number, order: 'desc' | 'asc', max: number): GdeltArticle[] {
  const instants = updatesBetween(fromMs, toMs, nowMs);
  if (order === 'desc') instants.reverse();
  const found: GdeltArticle[] = [];
  for (const instant of instants) {
    if (found.length >= max) break;
    found.push(...gdeltUpdateMatches(query, instant).slice(0, max - found.length));
  }
  return found;
}

/**
 * Every article matching the query seen in [fromMs, toMs) by nowMs, by update, newest first:
 * what a test compares a source's records with (GDELT itself lists at most 250 per answer).
 */
export function gdeltUpdatesBetween(queryText: string, fromMs: number, toMs: number, nowMs: number): { instantMs: number; articles: GdeltArticle[] }[] {
  const parsed = parseGdeltQuery(queryText);
  if ('error' in parsed) throw new Error(`GDELT would refuse the query ${JSON.stringify(queryText)}: ${parsed.error}`);
  const query = parsed.query;
  return updatesBetween(fromMs, toMs, nowMs)
    .reverse()
    .map((instantMs) => ({ instantMs, articles: gdeltUpdateMatches(query, instantMs) }));
}
