#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, parseEnv, secretsEnvSchema } from '@conveyor/config';
import { InvalidSecretRefError } from '../secrets-provider/secrets-provider';
import { SecretWriteError, createSecretStore } from '../secret-store';

const USAGE = `usage: set-secret <name> <value>              store a secret in the configured backend (Secret Manager when enabled, else SECRETS_DIR)
       set-secret <name> --from-file <path>   the value is the file's content (one trailing newline dropped)
--from-file keeps the value out of shell history and the process list; the value is never printed`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

/** The value from the command line or a file; an unreadable file is named with the reason only. */
async function valueOf(inline: string | undefined, file: string | undefined): Promise<string> {
  if ((inline === undefined) === (file === undefined)) fail('give the value or --from-file <path> (one of them)');
  if (inline !== undefined) return inline;
  try {
    return (await readFile(file!, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    return fail(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** For local development: writes a secret where getSecret will find it, printing only where it went. */
async function main() {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { 'from-file': { type: 'string' } } });
  } catch (error) {
    fail((error as Error).message);
  }
  const [name, inline, ...extra] = parsed.positionals;
  if (!name) fail('give the name of the secret');
  if (extra.length) fail(`expected at most a name and a value, got ${parsed.positionals.length} arguments`);
  const value = await valueOf(inline, parsed.values['from-file']);
  if (!value) fail(`the value of secret ${name} is empty`);
  const store = createSecretStore(parseEnv(secretsEnvSchema));
  try {
    console.log(`stored secret ${name} in ${await store.setSecret(name, value)}`);
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  // Errors of the store and of config never carry a value; anything else is reduced to its class.
  const known = error instanceof InvalidSecretRefError || error instanceof ConfigError || error instanceof SecretWriteError;
  console.error(`set-secret failed: ${known ? (error as Error).message : error instanceof Error ? error.name : 'unknown error'}`);
  process.exit(error instanceof InvalidSecretRefError || error instanceof ConfigError ? 2 : 1);
});
