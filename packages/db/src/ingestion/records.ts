import type { IngestedRecord } from '@conveyor/contracts';
import type { Kysely } from 'kysely';
import { runPrepared } from '../connect';
import type { Database } from '../schema';

type Db = Kysely<Database>;

export type { IngestedRecord };

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

// One statement for a whole page. The content hash is the sha256 of the raw record as jsonb
// prints it (its keys in one fixed order, so equal content hashes equal whatever order the
// source sent). A record whose stored hash is the same is left out before the insert: an
// INSERT … ON CONFLICT DO UPDATE locks (and so writes WAL for) every conflicting row even when
// its WHERE then skips it, so a re-run of unchanged data would write every page it read. The
// DO UPDATE's WHERE still guards a row changed in between; xmax = 0 tells a fresh insert from
// an update among the rows returned.
const UPSERT_RECORDS = `
with x as (
  select x.external_id, x.raw, encode(sha256(convert_to(x.raw::text, 'UTF8')), 'hex') as content_hash,
         x.occurred_on, x.country, x.series_id, x.value, x.title
    from jsonb_to_recordset($2::jsonb)
      as x(external_id text, raw jsonb, occurred_on date, country text, series_id text, value double precision, title text)
)
insert into ingestion_records as r (source, external_id, content_hash, raw, occurred_on, country, series_id, value, title)
select $1, x.external_id, x.content_hash, x.raw, x.occurred_on, x.country, x.series_id, x.value, x.title
  from x
 where not exists (select 1 from ingestion_records e where e.source = $1 and e.external_id = x.external_id and e.content_hash = x.content_hash)
on conflict (source, external_id) do update
   set content_hash = excluded.content_hash, raw = excluded.raw, occurred_on = excluded.occurred_on, country = excluded.country,
       series_id = excluded.series_id, value = excluded.value, title = excluded.title, updated_at = now()
 where r.content_hash <> excluded.content_hash
returning (xmax = 0) as inserted`;

/**
 * Upserts a page of one source's records idempotently on (source, external_id): new ones are
 * inserted, changed ones rewritten, unchanged ones left alone, so re-running any window never
 * duplicates. A page that names one id twice keeps its last version.
 */
export async function upsertRecords(db: Db, source: string, records: readonly IngestedRecord[]): Promise<UpsertCounts> {
  const byId = new Map(records.map((r) => [r.external_id, r]));
  if (byId.size === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const rows = await runPrepared<{ inserted: boolean }>(db, 'conveyor_upsert_ingestion_records_v2', UPSERT_RECORDS, [
    source,
    JSON.stringify([...byId.values()].map((r) => ({ ...r, raw: r.raw ?? null }))),
  ]);
  const inserted = rows.filter((r) => r.inserted).length;
  return { inserted, updated: rows.length - inserted, unchanged: byId.size - rows.length };
}
