import { type Kysely, sql } from 'kysely';
import { encodeRecordCursor } from '../cursor';
import type { Database } from '../schema';

type Db = Kysely<Database>;

/** A record as listed: its date as Postgres prints it (YYYY-MM-DD), whatever the process's time zone. */
export interface ListedIngestionRecord {
  external_id: string;
  occurred_on: string | null;
  country: string | null;
  series_id: string | null;
  value: number | null;
  title: string | null;
  raw: unknown;
  first_seen_at: Date;
  updated_at: Date;
}

export interface ListRecordsQuery {
  source: string;
  /** Dates, inclusive (YYYY-MM-DD); either leaves out the records without a date. */
  from?: string;
  to?: string;
  country?: string;
  series_id?: string;
  /** The position after which the page starts (decodeRecordCursor). */
  after?: { occurredOn: string | null; externalId: string };
  limit: number;
}

// The order, and the keyset over it: newest date first, records without a date last (as the
// earliest date there is), then external_id. It is the expression of the index
// ingestion_records_listing, so a page is one index range scan however deep it lies.
const DAY = sql`coalesce(occurred_on, '-infinity'::date)`;

/** A page of one source's records, newest first, filtered; `next` is the cursor of the page after it. */
export async function listIngestionRecords(db: Db, query: ListRecordsQuery): Promise<{ rows: ListedIngestionRecord[]; next?: string }> {
  let q = db
    .selectFrom('ingestion_records')
    .select(['external_id', 'country', 'series_id', 'value', 'title', 'raw', 'first_seen_at', 'updated_at'])
    .select(sql<string | null>`to_char(occurred_on, 'YYYY-MM-DD')`.as('occurred_on'))
    .where('source', '=', query.source);
  if (query.from !== undefined) q = q.where(sql<boolean>`${DAY} >= ${query.from}::date`);
  if (query.to !== undefined) q = q.where(sql<boolean>`${DAY} <= ${query.to}::date`).where('occurred_on', 'is not', null);
  if (query.country !== undefined) q = q.where('country', '=', query.country);
  if (query.series_id !== undefined) q = q.where('series_id', '=', query.series_id);
  if (query.after) {
    const day = query.after.occurredOn === null ? sql`'-infinity'::date` : sql`${query.after.occurredOn}::date`;
    q = q.where(sql<boolean>`(${DAY}, external_id) < (${day}, ${query.after.externalId})`);
  }
  const rows = await q
    .orderBy(DAY, 'desc')
    .orderBy('external_id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > query.limit && last ? encodeRecordCursor(last.occurred_on, last.external_id) : undefined };
}
