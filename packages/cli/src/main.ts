#!/usr/bin/env node
import { run } from './cli';

void run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, secrets: [] }).then((code) => {
  // exitCode rather than exit(): stdout may be a pipe with writes still pending.
  process.exitCode = code;
});
