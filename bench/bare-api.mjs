#!/usr/bin/env node
// The baseline of bench/http.mjs: the least an HTTP task API can do, in its own process.
//   POST /tasks      one Queue.add (job id = a new uuid), answers 202 {task_id}
//   GET  /tasks/:id  one SELECT of the row by id, answers it as JSON
// No auth, no validation, no Postgres write on submit: what "a bare Express handler" means.
// Env: PORT, DATABASE_URL, REDIS_URL, BULLMQ_PREFIX.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './lib.mjs';

const fromApp = createRequire(path.join(ROOT, 'apps', 'api', 'package.json'));
const fromQueue = createRequire(path.join(ROOT, 'packages', 'queue', 'package.json'));
const fromDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const express = fromApp('express');
const { Queue } = fromQueue('bullmq');
const IORedis = fromQueue('ioredis');
const { Pool } = fromDb('pg');

const redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
const queue = new Queue('monitoring', { connection: redis, prefix: process.env.BULLMQ_PREFIX, defaultJobOptions: { removeOnComplete: true } });
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

const app = express();
app.use(express.json());
app.post('/tasks', async (req, res) => {
  const id = randomUUID();
  await queue.add(req.body.task ?? 'ping', { task_id: id }, { jobId: id });
  res.status(202).json({ task_id: id, status: 'PENDING' });
});
app.get('/tasks/:id', async (req, res) => {
  const { rows } = await pool.query('select * from tasks where id = $1', [req.params.id]);
  if (rows.length === 0) return res.status(404).json({ error: 'not_found' });
  res.json(rows[0]);
});
app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
app.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
