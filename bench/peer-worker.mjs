#!/usr/bin/env node
// A baseline's worker in its own process, as Conveyor's worker app is one (bench/end-to-end.mjs):
// one of bench/peers.mjs (PEER = bullmq | graphile | pgboss) running no-op `ping` jobs at
// CONCURRENCY, logging as it would deployed (graphile-worker a line per job, to stdout).
//   GET /healthz        200 once the worker is running
//   GET /done?count=N   answers {"completed": n} once n ≥ N jobs have finished here (a long poll, so
//                       waiting costs nothing per job)
// Env: PEER, PORT, CONCURRENCY (50), REDIS_URL, BULLMQ_PREFIX, DATABASE_URL.
import http from 'node:http';
import { PEERS } from './peers.mjs';

const peer = PEERS[process.env.PEER];
if (!peer) throw new Error(`PEER must be one of ${Object.keys(PEERS).join(', ')}`);
const side = { redisUrl: process.env.REDIS_URL, prefix: process.env.BULLMQ_PREFIX, databaseUrl: process.env.DATABASE_URL };

let completed = 0;
const waiting = new Set(); // { count, answer }
const worker = await peer.worker(side, {
  concurrency: Number(process.env.CONCURRENCY ?? 50),
  // graphile-worker's own console logger, as deployed (the harness sends stdout to /dev/null).
  consoleLogs: true,
  onCompleted: (n) => {
    completed += n;
    for (const w of waiting) {
      if (completed < w.count) continue;
      waiting.delete(w);
      w.answer();
    }
  },
});

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/healthz') return res.end('ok');
  if (url.pathname !== '/done') return res.writeHead(404).end();
  const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ completed }));
  const count = Number(url.searchParams.get('count'));
  if (completed >= count) return answer();
  waiting.add({ count, answer });
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', async () => {
  server.close();
  await worker.close();
  process.exit(0);
});
