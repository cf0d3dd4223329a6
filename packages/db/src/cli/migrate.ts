#!/usr/bin/env node
import { parseEnv } from '@conveyor/config';
import { z } from 'zod';
import { migrateUrl } from '../migrate';

/** `DATABASE_URL=… node dist/cli/migrate.js`: applies every pending migration. */
const env = parseEnv(z.object({ DATABASE_URL: z.string().min(1) }));
migrateUrl(env.DATABASE_URL).then(
  () => console.log('migrations: up to date'),
  (error: unknown) => {
    console.error(`migrate failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
