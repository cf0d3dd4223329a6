import { createEmptyDatabase, type TestDatabase } from '@conveyor/testkit';
import type { Kysely } from 'kysely';
import { type Database, appliedMigrations, createDb, migrate, migrateToLatest, migrationNames } from '../src';
import { schemaCatalogue } from './schema-catalogue';
import { seedEveryTable } from './seed-every-table';

// Every migration's down() runs on a database holding data, and up() brings back the same schema.
// One database, every step in sequence: a few hundred migration steps of small tables.
const NAMES = migrationNames();
let empty: TestDatabase;
let db: Kysely<Database>;
let latest: Record<string, string[]>;
beforeAll(async () => {
  empty = await createEmptyDatabase();
  db = createDb(empty.url, { max: 2 });
  await migrateToLatest(db);
  latest = await schemaCatalogue(db);
});
afterAll(async () => {
  await db.destroy();
  await empty.drop();
});

it('the catalogue sees what it compares (tables, columns, indexes, constraints, functions)', () => {
  expect(latest.tables).toEqual(expect.arrayContaining([expect.stringMatching(/^tasks r fillfactor=50$/)]));
  expect(latest.columns).toEqual(expect.arrayContaining([expect.stringMatching(/^tasks \| final_status \| text .*ALWAYS/)]));
  expect(latest.indexes).toEqual(expect.arrayContaining([expect.stringContaining('INDEX tasks_open ON public.tasks USING btree (tenant_id, created_at, id)')]));
  expect(latest.constraints).toEqual(expect.arrayContaining([expect.stringContaining('ingestion_runs ingestion_runs_status_check c')]));
  expect(latest.functions).toEqual(expect.arrayContaining([expect.stringContaining('conveyor_period_index')]));
});

it('steps down one migration at a time to none, with data in every table, then up one at a time to the same schema', async () => {
  await seedEveryTable(db);
  // The schema on the way down, by the number of migrations applied: the way up must pass through the same ones.
  const onTheWayDown: Record<string, string[]>[] = [];
  for (let applied = NAMES.length; applied > 0; applied--) {
    const result = await migrate(db, { kind: 'down', steps: 1 });
    expect(result.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([[NAMES[applied - 1], 'Down', 'Success']]);
    onTheWayDown[applied - 1] = await schemaCatalogue(db);
  }
  expect(await appliedMigrations(db)).toEqual([]);
  expect(onTheWayDown[0]!.tables).toEqual([]);
  for (const [i, name] of NAMES.entries()) {
    expect({ applied: NAMES.slice(0, i).at(-1), schema: await schemaCatalogue(db) }).toEqual({ applied: NAMES.slice(0, i).at(-1), schema: onTheWayDown[i] });
    const result = await migrate(db, { kind: 'to', name });
    expect(result.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([[name, 'Up', 'Success']]);
  }
  expect(await schemaCatalogue(db)).toEqual(latest);
}, 300_000);

it('takes each migration down (with every later one) and up again from the latest, data in every table, to the same schema', async () => {
  await migrateToLatest(db);
  for (let i = NAMES.length - 1; i >= 0; i--) {
    await seedEveryTable(db);
    const down = await migrate(db, { kind: 'down', steps: NAMES.length - i });
    expect({ migration: NAMES[i], error: down.error }).toEqual({ migration: NAMES[i], error: undefined });
    expect(await appliedMigrations(db)).toEqual(NAMES.slice(0, i));
    await migrateToLatest(db);
    expect({ migration: NAMES[i], schema: await schemaCatalogue(db) }).toEqual({ migration: NAMES[i], schema: latest });
  }
}, 600_000);
