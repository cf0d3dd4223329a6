import { createDb, isDatabaseUnavailable } from '../src';
import { sql } from 'kysely';

describe('isDatabaseUnavailable', () => {
  it('recognises a refused connection', async () => {
    const db = createDb('postgres://postgres@127.0.0.1:1/none', { connectionTimeoutMillis: 500 });
    const error = await sql`select 1`.execute(db).catch((e: unknown) => e);
    await db.destroy();
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('fails a query that gets no answer in time, as an outage (so state writes retry it)', async () => {
    const db = createDb(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', { queryTimeoutMillis: 200 });
    const error = await sql`select pg_sleep(2)`.execute(db).catch((e: unknown) => e);
    await db.destroy();
    expect((error as Error).message).toBe('Query read timeout');
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('does not mistake a bad query for an outage', async () => {
    const queryError = Object.assign(new Error('relation "nope" does not exist'), { code: '42P01' });
    expect(isDatabaseUnavailable(queryError)).toBe(false);
    expect(isDatabaseUnavailable('text')).toBe(false);
  });
});
