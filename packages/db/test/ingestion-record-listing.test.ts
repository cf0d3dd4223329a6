import { type Kysely, sql } from 'kysely';
import { type Database, type ListRecordsQuery, decodeRecordCursor, encodeRecordCursor, listIngestionRecords, upsertRecords } from '../src';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ db, close } = await openTestDb());
  await upsertRecords(db, 'worldbank', [
    { external_id: 'GDP:DE:2024', raw: { v: 1 }, occurred_on: '2024-01-01', country: 'DE', series_id: 'GDP', value: 1 },
    { external_id: 'GDP:FR:2024', raw: { v: 2 }, occurred_on: '2024-01-01', country: 'FR', series_id: 'GDP', value: 2 },
    { external_id: 'POP:DE:2024', raw: { v: 3 }, occurred_on: '2024-01-01', country: 'DE', series_id: 'POP', value: 3 },
    { external_id: 'GDP:DE:2025', raw: { v: 4 }, occurred_on: '2025-01-01', country: 'DE', series_id: 'GDP', value: 4 },
    { external_id: 'GDP:DE:2023', raw: { v: 5 }, occurred_on: '2023-01-01', country: 'DE', series_id: 'GDP', value: 5 },
    { external_id: 'note-b', raw: { v: 6 }, title: 'undated b' },
    { external_id: 'note-a', raw: { v: 7 }, title: 'undated a' },
  ]);
  await upsertRecords(db, 'fred', [{ external_id: 'GDP:2025-01-01', raw: {}, occurred_on: '2025-01-01' }]);
});
afterAll(() => close());

const ids = async (query: Omit<ListRecordsQuery, 'source' | 'limit'> & { limit?: number }) =>
  (await listIngestionRecords(db, { source: 'worldbank', limit: 100, ...query })).rows.map((r) => r.external_id);

/** Every id, page by page, following next. */
async function allPages(query: Omit<ListRecordsQuery, 'source' | 'limit' | 'after'>, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let after: ListRecordsQuery['after'];
  for (;;) {
    const page = await listIngestionRecords(db, { source: 'worldbank', ...query, limit, after });
    pages.push(page.rows.map((r) => r.external_id));
    if (!page.next) return pages;
    after = decodeRecordCursor(page.next);
    expect(after).toBeDefined();
  }
}

describe("listing a source's records", () => {
  const ORDER = ['GDP:DE:2025', 'POP:DE:2024', 'GDP:FR:2024', 'GDP:DE:2024', 'GDP:DE:2023', 'note-b', 'note-a'];

  it('lists newest date first, ties by external_id (descending), records without a date last, one source only', async () => {
    expect(await ids({})).toEqual(ORDER);
  });

  it('pages through all of it without a gap or a repeat, across equal dates and into the undated ones', async () => {
    expect(await allPages({}, 2)).toEqual([ORDER.slice(0, 2), ORDER.slice(2, 4), ORDER.slice(4, 6), ORDER.slice(6)]);
    expect((await allPages({}, 7)).flat()).toEqual(ORDER);
    expect(await allPages({}, 1)).toEqual(ORDER.map((id) => [id]));
  });

  it('filters by dates (both inclusive, leaving out undated records), country and series, and pages the filtered list', async () => {
    expect(await ids({ from: '2024-01-01' })).toEqual(ORDER.slice(0, 4));
    expect(await ids({ to: '2024-01-01' })).toEqual(ORDER.slice(1, 5));
    expect(await ids({ from: '2024-01-01', to: '2024-01-01' })).toEqual(ORDER.slice(1, 4));
    expect(await ids({ from: '2026-01-01' })).toEqual([]);
    expect(await ids({ country: 'DE' })).toEqual(['GDP:DE:2025', 'POP:DE:2024', 'GDP:DE:2024', 'GDP:DE:2023']);
    expect(await ids({ country: 'DE', series_id: 'GDP', to: '2024-12-31' })).toEqual(['GDP:DE:2024', 'GDP:DE:2023']);
    expect(await allPages({ country: 'DE', series_id: 'GDP' }, 2)).toEqual([['GDP:DE:2025', 'GDP:DE:2024'], ['GDP:DE:2023']]);
  });

  it('shows each record with its typed columns, its date as a plain date and its raw JSON', async () => {
    const [first] = (await listIngestionRecords(db, { source: 'worldbank', limit: 1 })).rows;
    expect(first).toEqual({
      external_id: 'GDP:DE:2025',
      occurred_on: '2025-01-01',
      country: 'DE',
      series_id: 'GDP',
      value: 4,
      title: null,
      raw: { v: 4 },
      first_seen_at: expect.any(Date),
      updated_at: expect.any(Date),
    });
    const undated = (await listIngestionRecords(db, { source: 'worldbank', limit: 100 })).rows.at(-1);
    expect(undated).toMatchObject({ external_id: 'note-a', occurred_on: null, title: 'undated a' });
  });

  it('reads a page as one index range scan from the cursor, however deep it lies (no sort, no skipping)', async () => {
    const after = decodeRecordCursor(encodeRecordCursor('2024-01-01', 'GDP:FR:2024'))!;
    // On one connection with sequential scans off: this table is tiny, so the planner would
    // otherwise read it whole; what matters is that the index can serve the keyset.
    const plan = await db.connection().execute(async (conn) => {
      await sql`set enable_seqscan = off`.execute(conn);
      try {
        return await sql<{ 'QUERY PLAN': string }>`
          explain select external_id from ingestion_records
           where source = 'worldbank' and (coalesce(occurred_on, '-infinity'::date), external_id) < (${after.occurredOn}::date, ${after.externalId})
           order by coalesce(occurred_on, '-infinity'::date) desc, external_id desc limit 3`.execute(conn);
      } finally {
        await sql`reset enable_seqscan`.execute(conn);
      }
    });
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index Scan using ingestion_records_listing/);
    expect(text).toMatch(/Index Cond: .*ROW\(COALESCE\(occurred_on/);
    expect(text).not.toMatch(/Sort/);
  });
});

describe('record cursors', () => {
  it('carry a date (or none) and an id of any characters', () => {
    for (const [date, id] of [
      ['2024-02-29', 'GDP:DE:2024'],
      [null, 'note|with|bars'],
      ['1999-12-31', 'ü€😀'.repeat(100)],
    ] as const) {
      expect(decodeRecordCursor(encodeRecordCursor(date, id))).toEqual({ occurredOn: date, externalId: id });
    }
  });

  it('refuse anything this API did not give out', () => {
    const raw = (text: string) => Buffer.from(text).toString('base64url');
    for (const cursor of [
      '',
      'x',
      raw('2024-02-30|a'),
      raw('2023-02-29|a'),
      raw('2024-13-01|a'),
      raw('24-01-01|a'),
      raw('2024-01-01|'),
      raw('2024-01-01'),
      raw(`|${'a'.repeat(501)}`),
      raw('|a\u0000b'),
      '%%%',
      `${raw('|abc')}=`,
      Buffer.from([0x7c, 0xff, 0xfe]).toString('base64url'),
    ]) {
      expect([cursor, decodeRecordCursor(cursor)]).toEqual([cursor, undefined]);
    }
    expect(decodeRecordCursor(raw(`|${'a'.repeat(500)}`))).toEqual({ occurredOn: null, externalId: 'a'.repeat(500) });
  });
});
