#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { parseEnv } from '@conveyor/config';
import type { MigrationResultSet } from 'kysely';
import { z } from 'zod';
import { appliedMigrations, migrate, migrationNames, previewMigration, withMigrationDb } from '../migrate';
import { type MigrationRequest, MigrationRequestError, unknownMigrationMessage } from '../migration-plan';

const USAGE = `usage: db:migrate                    apply every pending migration (safe from many processes at once)
       db:migrate --to <name> [--yes]   migrate up or down to that migration (its full name)
       db:migrate --down <n> [--yes]    roll back the last n migrations, newest first
       db:migrate --help
Moving down drops what those migrations added, data included: without --yes it only prints
what would be rolled back. Exit codes: 0 done, 1 refused (no --yes) or failed, 2 bad arguments.`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parseRequest(): { request: MigrationRequest; yes: boolean } {
  let parsed;
  try {
    parsed = parseArgs({ options: { to: { type: 'string' }, down: { type: 'string' }, yes: { type: 'boolean' }, help: { type: 'boolean' } } });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const { to, down, yes = false, help } = parsed.values;
  if (help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (to !== undefined && down !== undefined) fail('give --to or --down, not both');
  if (to !== undefined) {
    if (!migrationNames().includes(to)) fail(unknownMigrationMessage(to, migrationNames()));
    return { request: { kind: 'to', name: to }, yes };
  }
  if (down !== undefined) {
    if (!/^[1-9][0-9]{0,5}$/.test(down)) fail(`--down takes a positive whole number of migrations to roll back, not "${down}"`);
    return { request: { kind: 'down', steps: Number(down) }, yes };
  }
  return { request: { kind: 'latest' }, yes };
}

function printResults(result: MigrationResultSet): void {
  for (const r of result.results ?? []) console.log(`${r.direction === 'Down' ? 'reverted' : 'applied'} ${r.migrationName}`);
}

/** `DATABASE_URL=… node dist/cli/migrate.js [--to <name> | --down <n>] [--yes]` (see USAGE). */
async function main(): Promise<void> {
  const { request, yes } = parseRequest();
  const env = parseEnv(z.object({ DATABASE_URL: z.string().min(1) }));
  await withMigrationDb(env.DATABASE_URL, async (db) => {
    if (request.kind !== 'latest' && !yes) {
      const plan = await previewMigration(db, request);
      if (plan.direction === 'down') {
        console.error(
          [
            `this would roll back ${plan.migrations.length} migration${plan.migrations.length === 1 ? '' : 's'}, newest first:`,
            ...plan.migrations.map((name) => `  ${name}`),
            'Rolling back drops the tables and columns they added: the data in them is lost (back up first, pg_dump -Fc).',
            'Nothing was changed. Run again with --yes to roll back.',
          ].join('\n'),
        );
        process.exitCode = 1;
        return;
      }
    }
    const result = await migrate(db, request, { allowDown: yes });
    // Without arguments it says only that (the image's migration step checks its one line).
    if (request.kind === 'latest') return void console.log('migrations: up to date');
    printResults(result);
    console.log(`migrations: ${(await appliedMigrations(db)).at(-1) ?? 'none applied'}`);
  });
}

main().catch((error: unknown) => {
  if (error instanceof MigrationRequestError) fail(error.message);
  console.error(`migrate failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
