import { randomBytes } from 'node:crypto';
import { TEST_ADMIN_DATABASE_URL } from '../src/env';
import { acquireTestDatabase } from '../src/pooled-database';
import { Client } from 'pg';

// Test databases from the pool (acquireTestDatabase, which apps/api's tests use): a slot is
// emptied back to its template's rows by its next holder instead of being dropped. Here on a
// small schema of its own (its own template and slots), so the slot is surely used twice.

const key = `pooltest_${randomBytes(4).toString('hex')}`;
const SCHEMA = `
  create table kysely_migration (name text primary key);
  insert into kysely_migration values ('001');
  create table owners (id integer generated always as identity primary key, name text not null,
                       shout text generated always as (upper(name)) stored);
  create table items (id serial primary key, owner integer not null references owners (id), label text);
  create sequence counter;
  insert into owners (name) values ('system');
  select nextval('counter');`;

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

const spec = { key, migrate: async (url: string) => void (await query(url, SCHEMA)) };

afterAll(async () => {
  const names = await query<{ datname: string }>(TEST_ADMIN_DATABASE_URL, `select datname from pg_database where datname like '%${key}%'`);
  for (const { datname } of names) await query(TEST_ADMIN_DATABASE_URL, `drop database "${datname}" with (force)`);
});

it("hands a slot to its next holder with the template's rows and sequences, and never one that is held", async () => {
  const first = await acquireTestDatabase(spec);
  // Held: a second holder gets another slot.
  const second = await acquireTestDatabase(spec);
  expect(second.name).not.toBe(first.name);
  await second.release();

  await query(
    first.url,
    `update owners set name = 'renamed';
     insert into owners (name) values ('tenant');
     insert into items (owner, label) select id, 'x' from owners;
     insert into kysely_migration values ('002');
     select nextval('counter'), nextval('counter');`,
  );
  // A connection the holder left open does not keep the next holder from emptying the slot.
  const leftOpen = new Client({ connectionString: first.url });
  await leftOpen.connect();
  leftOpen.on('error', () => undefined);
  await leftOpen.query('begin; select * from items for update');
  await first.release();

  const again = await acquireTestDatabase(spec);
  try {
    expect(again.name).toBe(first.name);
    expect(await query(again.url, 'select id, name, shout from owners')).toEqual([{ id: 1, name: 'system', shout: 'SYSTEM' }]);
    expect(await query(again.url, 'select * from items')).toEqual([]);
    // Identities and serials start over; a sequence no table owns goes back to where the template left it.
    expect(await query(again.url, "insert into owners (name) values ('next') returning id")).toEqual([{ id: 2 }]);
    expect(await query(again.url, 'insert into items (owner) values (1) returning id')).toEqual([{ id: 1 }]);
    expect(await query(again.url, "select nextval('counter')::int as n")).toEqual([{ n: 2 }]);
    // The migrator's bookkeeping is the slot's own, never emptied.
    expect(await query(again.url, 'select name from kysely_migration order by name')).toEqual([{ name: '001' }, { name: '002' }]);
  } finally {
    await again.release();
    await leftOpen.end().catch(() => undefined);
  }
});
