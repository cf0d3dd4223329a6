#!/usr/bin/env node
// The baseline worker of bench/publishing.mjs: one bare BullMQ Worker in its own process whose
// processor sends the job's text to X's POST /2/tweets with plain fetch (no Postgres, no rate
// limiter, no retries), then records when X answered (HSET <prefix>:bench-published <job id>
// <ms>). The token is read from the environment variable the job names, as Conveyor's env:
// secret references do, so no token travels in a job.
// Env: PORT (for /healthz), REDIS_URL, BULLMQ_PREFIX, X_API_BASE_URL, CONCURRENCY (10).
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './lib.mjs';

const fromQueue = createRequire(path.join(ROOT, 'packages', 'queue', 'package.json'));
const { Worker } = fromQueue('bullmq');
const IORedis = fromQueue('ioredis');

const prefix = process.env.BULLMQ_PREFIX;
const xBase = process.env.X_API_BASE_URL;
const connection = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const worker = new Worker(
  'publishing',
  async (job) => {
    const res = await fetch(`${xBase}/2/tweets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${process.env[job.data.token_env]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: job.data.text }),
    });
    const body = await res.text();
    // A refusal (a 429 above all) fails the job: the benchmark counts those and expects none.
    if (res.status !== 201) throw new Error(`X answered ${res.status}`);
    await connection.hset(`${prefix}:bench-published`, job.id, String(Date.now()));
    return JSON.parse(body).data.id;
  },
  { connection, prefix, concurrency: Number(process.env.CONCURRENCY ?? 10) },
);
await worker.waitUntilReady();
http.createServer((_req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', async () => {
  await worker.close();
  process.exit(0);
});
