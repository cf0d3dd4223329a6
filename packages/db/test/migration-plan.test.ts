import { createEmptyDatabase, createTestDatabase } from '@conveyor/testkit';
import { type Migration, NO_MIGRATIONS, sql } from 'kysely';
import { MigrationRequestError, appliedMigrations, createDb, migrate, migrateUrl, migrationNames, planMigration, schemaFingerprint } from '../src';

const KNOWN = ['m1', 'm2', 'm3', 'm4'];

describe('planMigration', () => {
  it('plans the latest as the pending migrations, oldest first', () => {
    expect(planMigration(KNOWN, ['m1', 'm2'], { kind: 'latest' })).toEqual({ direction: 'up', migrations: ['m3', 'm4'], target: 'm4' });
    expect(planMigration(KNOWN, KNOWN, { kind: 'latest' })).toEqual({ direction: 'none', migrations: [], target: 'm4' });
  });

  it('plans --down n as the last n applied, newest first, down to the one before them or to none', () => {
    expect(planMigration(KNOWN, ['m1', 'm2', 'm3'], { kind: 'down', steps: 2 })).toEqual({ direction: 'down', migrations: ['m3', 'm2'], target: 'm1' });
    expect(planMigration(KNOWN, ['m1', 'm2'], { kind: 'down', steps: 2 })).toEqual({ direction: 'down', migrations: ['m2', 'm1'], target: NO_MIGRATIONS });
  });

  it('refuses to roll back more migrations than are applied, saying how many are', () => {
    expect(() => planMigration(KNOWN, ['m1', 'm2'], { kind: 'down', steps: 3 })).toThrow(
      new MigrationRequestError('cannot roll back 3 migrations: only 2 are applied (the newest: m2)'),
    );
    expect(() => planMigration(KNOWN, [], { kind: 'down', steps: 1 })).toThrow('cannot roll back 1 migration: only 0 are applied');
  });

  it('plans --to a name up to it when pending and down to it when applied', () => {
    expect(planMigration(KNOWN, ['m1'], { kind: 'to', name: 'm3' })).toEqual({ direction: 'up', migrations: ['m2', 'm3'], target: 'm3' });
    expect(planMigration(KNOWN, KNOWN, { kind: 'to', name: 'm2' })).toEqual({ direction: 'down', migrations: ['m4', 'm3'], target: 'm2' });
    expect(planMigration(KNOWN, ['m1', 'm2'], { kind: 'to', name: 'm2' })).toEqual({ direction: 'none', migrations: [], target: 'm2' });
  });

  it('refuses an unknown name, naming the nearest first and then every known one', () => {
    const names = migrationNames();
    expect(() => planMigration(names, names, { kind: 'to', name: '2026_12_05_0019_console_session' })).toThrow(
      /^no migration named "2026_12_05_0019_console_session" \(give a migration's full name\)\nnearest: 2026_12_05_0019_console_sessions, /,
    );
    expect(() => planMigration(KNOWN, [], { kind: 'to', name: 'x' })).toThrow('known migrations, oldest first:\n  m1\n  m2\n  m3\n  m4');
  });
});

it('a run that may not move down refuses, changing nothing, when the schema has gone past its target', async () => {
  const testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  const db = createDb(testDb.url, { max: 1 });
  try {
    const names = migrationNames();
    await expect(migrate(db, { kind: 'to', name: names[0]! }, { allowDown: false })).rejects.toThrow(
      new MigrationRequestError(`the schema changed meanwhile: this would now roll back ${names.slice(1).reverse().join(', ')}`),
    );
    expect(await appliedMigrations(db)).toEqual(names);
    // And it still moves up.
    await migrate(db, { kind: 'down', steps: 1 });
    const up = await migrate(db, { kind: 'to', name: names.at(-1)! }, { allowDown: false });
    expect(up.results?.map((r) => [r.migrationName, r.direction])).toEqual([[names.at(-1), 'Up']]);
  } finally {
    await db.destroy();
    await testDb.drop();
  }
});

it('a rollback whose down() fails reverts nothing: the migrations before it stay applied, their tables in place', async () => {
  const empty = await createEmptyDatabase();
  const db = createDb(empty.url, { max: 1 });
  const table = (name: string): Migration => ({
    up: async (d) => void (await d.schema.createTable(name).addColumn('id', 'integer').execute()),
    down: async (d) => void (await d.schema.dropTable(name).execute()),
  });
  const migrations = { m1: table('t1'), m2: { ...table('t2'), down: () => Promise.reject(new Error('t2 cannot go')) }, m3: table('t3') };
  try {
    await migrate(db, { kind: 'latest' }, { migrations });
    await expect(migrate(db, { kind: 'down', steps: 2 }, { migrations })).rejects.toThrow('t2 cannot go');
    expect(await appliedMigrations(db, migrations)).toEqual(['m1', 'm2', 'm3']);
    const tables = await sql<{ tablename: string }>`select tablename from pg_tables where tablename like 't_' order by 1`.execute(db);
    expect(tables.rows.map((r) => r.tablename)).toEqual(['t1', 't2', 't3']);
    const down = await migrate(db, { kind: 'down', steps: 1 }, { migrations });
    expect(down.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([['m3', 'Down', 'Success']]);
  } finally {
    await db.destroy();
    await empty.drop();
  }
});
