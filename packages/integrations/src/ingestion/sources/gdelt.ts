import { DeferTaskError } from '@conveyor/contracts';
import { z } from 'zod';
import { type IngestionSource, MalformedPageError, type PageContext, type SourceRecord } from '../source';
import { parsePage } from './page-schema';
import { queryString } from './query-string';
import { ceilToSecond, inWindow } from './source-time';

/** GDELT's settings, as IngestionEnv has them. */
export interface GdeltSettings {
  GDELT_BASE_URL: string;
  /** The DOC 2.0 query: keywords and operators such as sourcelang:english. */
  GDELT_QUERY: string;
}

/**
 * Where a window's next request ends. The DOC API has no paging: it lists at most 250 articles,
 * newest first, so the next page asks again with the range narrowed to the oldest seen.
 */
export interface GdeltCursor {
  /** The next request's enddatetime (inclusive), YYYYMMDDHHMMSS. */
  end: string;
  /** URLs already taken among the articles seen at exactly `end`, which GDELT lists again. */
  takenAtEnd: string[];
}

/** The most articles ArtList returns in one answer. */
const MAX_RECORDS = 250;
/** GDELT publishes an update every 15 minutes. */
const WINDOW_MS = 15 * 60_000;
/** GDELT asks for one request every 5 seconds and sometimes says so in a 200 answer: the run waits a minute. */
const THROTTLE_DELAY_MS = 60_000;

const articleSchema = z.object({
  url: z.string().min(1),
  title: z.string().optional(),
  seendate: z.string().regex(/^\d{8}T\d{6}Z$/, 'a seendate is YYYYMMDDTHHMMSSZ, like 20240101T120000Z'),
  domain: z.string().optional(),
  language: z.string().optional(),
  sourcecountry: z.string().optional(),
});
const pageSchema = z.object({ articles: z.array(articleSchema) });
type Article = z.infer<typeof articleSchema>;

/**
 * The GDELT DOC 2.0 API's article list (mode=ArtList, JSON) for the configured query, in
 * windows of 15 minutes. Each page asks for the window's articles newest first, from the
 * window's start to its end (startdatetime of a window is enddatetime of the one before; an
 * article seen at the end itself belongs to the next window and is left to it). A full page
 * (250) is followed by one ending at its oldest seendate, skipping the articles already taken
 * there. When a single update holds 250 matches or more, GDELT cannot list the rest of it (it
 * has no offset): the source takes those 250 and moves past that instant. An article's URL is
 * its id. No secret: GDELT needs no key.
 */
export function createGdeltSource(settings: GdeltSettings): IngestionSource<GdeltCursor> {
  const endpoint = `${settings.GDELT_BASE_URL.replace(/\/+$/, '')}/api/v2/doc/doc`;
  return {
    name: 'gdelt',
    windowMs: WINDOW_MS,
    // The DOC API is a feed of recent news: a first run reads the last hour (a backfill asks for its window).
    initialLookbackMs: 3_600_000,
    // GDELT asks for one request every 5 seconds; two at once let a run's usual two windows go without a wait.
    rateLimit: { capacity: 2, refillPerSecond: 0.2 },
    secrets: [],
    request(ctx) {
      const query = queryString([
        ['query', settings.GDELT_QUERY],
        ['mode', 'ArtList'],
        ['format', 'json'],
        ['maxrecords', String(MAX_RECORDS)],
        ['sort', 'DateDesc'],
        ['startdatetime', gdeltTime(ceilToSecond(ctx.window.from))],
        ['enddatetime', ctx.cursor?.end ?? gdeltTime(ceilToSecond(ctx.window.to))],
      ]);
      return { url: `${endpoint}?${query}` };
    },
    parse(body, ctx) {
      const page = pageName(ctx);
      if (typeof body === 'string') throw textAnswerError(page, body);
      // GDELT answers {} when nothing matches.
      if (body !== null && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) return { records: [] };
      const { articles } = parsePage(pageSchema, body, page);
      const raw = (body as { articles: unknown[] }).articles;
      const taken = new Set(ctx.cursor?.takenAtEnd);
      const records: SourceRecord[] = [];
      articles.forEach((article, i) => {
        if (taken.has(article.url) || !inWindow(seenAt(article), ctx.window)) return;
        taken.add(article.url);
        records.push(toRecord(article, raw[i]));
      });
      if (articles.length < MAX_RECORDS) return { records };
      const next = narrowed(articles);
      // Nothing seen before the window's first second is in it.
      return seenAtTime(next.end) >= ceilToSecond(ctx.window.from) ? { records, next } : { records };
    },
  };
}

/** The cursor after a full page: up to its oldest instant again, or past it when the page holds nothing else. */
function narrowed(articles: Article[]): GdeltCursor {
  const dates = articles.map((a) => a.seendate).sort();
  const oldest = dates[0]!;
  if (oldest === dates[dates.length - 1]) {
    // 250 articles at one instant: GDELT cannot list more of it, so the next page ends a second before.
    return { end: gdeltTime(new Date(seenAtTime(toEnd(oldest)).getTime() - 1000)), takenAtEnd: [] };
  }
  return { end: toEnd(oldest), takenAtEnd: articles.filter((a) => a.seendate === oldest).map((a) => a.url) };
}

function toRecord(article: Article, raw: unknown): SourceRecord {
  const d = article.seendate;
  return {
    external_id: article.url,
    raw,
    occurred_on: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`,
    country: article.sourcecountry || null,
    title: article.title || null,
  };
}

/**
 * GDELT answers a query it cannot run with a sentence of text (HTML) and status 200; its
 * throttle says so the same way at times. A body that begins like JSON but did not parse is a
 * broken page.
 */
function textAnswerError(page: string, text: string): Error {
  const sentence = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  if (/limit requests/i.test(sentence)) return new DeferTaskError(`GDELT asks to slow down ("${sentence}"); the run continues in a minute`, THROTTLE_DELAY_MS);
  if (/^[[{]/.test(sentence)) return new MalformedPageError(`${page}: the answer is not valid JSON`);
  if (!sentence) return new MalformedPageError(`${page}: the answer is empty`);
  return new MalformedPageError(`${page}: GDELT refused the query in GDELT_QUERY: "${sentence}"`);
}

function pageName(ctx: PageContext<GdeltCursor>): string {
  const upTo = ctx.cursor ? `, up to ${ctx.cursor.end}` : '';
  return `page of gdelt articles seen from ${gdeltTime(ceilToSecond(ctx.window.from))} until ${gdeltTime(ceilToSecond(ctx.window.to))}${upTo}`;
}

/** YYYYMMDDHHMMSS, GDELT's startdatetime/enddatetime. */
function gdeltTime(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** YYYYMMDDTHHMMSSZ (a seendate) as YYYYMMDDHHMMSS. */
const toEnd = (seendate: string): string => seendate.replace(/[TZ]/g, '');

function seenAtTime(yyyymmddhhmmss: string): Date {
  const t = yyyymmddhhmmss;
  return new Date(Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8), +t.slice(8, 10), +t.slice(10, 12), +t.slice(12, 14)));
}

const seenAt = (article: Article): Date => seenAtTime(toEnd(article.seendate));
