#!/usr/bin/env node
// The baseline worker of bench/pickup.mjs: one bare BullMQ Worker in its own process, whose
// no-op processor records when it was called (HSET <prefix>:bench-started <job id> <ms>).
// Env: PORT (for /healthz), REDIS_URL, BULLMQ_PREFIX.
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './lib.mjs';

const fromQueue = createRequire(path.join(ROOT, 'packages', 'queue', 'package.json'));
const { Worker } = fromQueue('bullmq');
const IORedis = fromQueue('ioredis');

const prefix = process.env.BULLMQ_PREFIX;
const connection = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const worker = new Worker(
  'monitoring',
  async (job) => {
    await connection.hset(`${prefix}:bench-started`, job.id, String(Date.now()));
    return 'pong';
  },
  { connection, prefix, concurrency: 10 },
);
await worker.waitUntilReady();
http.createServer((_req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', async () => {
  await worker.close();
  process.exit(0);
});
