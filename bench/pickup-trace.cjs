// Preloaded (node --require) into a worker process by bench/pickup-stages.mjs: marks, per task,
// when BullMQ handed its job over (nextJobFromJobData resolved), when the processor was called,
// when the claim statement went to Postgres and when it answered, in wall-clock milliseconds
// (performance.timeOrigin + now(), sub-millisecond). Written to PICKUP_TRACE_FILE at exit.
// Patches the modules as they load, so it works on any commit's build.
const Module = require('node:module');
const fs = require('node:fs');

const file = process.env.PICKUP_TRACE_FILE;
const marks = [];
/** Every statement: its kind, when it was sent and answered, whether its connection was fresh. */
const statements = [];
const now = () => performance.timeOrigin + performance.now();
const mark = (id, what) => marks.push([id, what, now()]);
const taskIdOf = (job) => job?.data?.task_id ?? job?.id;
const patched = new WeakSet();

function patchWorker(Worker) {
  if (!Worker || patched.has(Worker)) return;
  patched.add(Worker);
  const next = Worker.prototype.nextJobFromJobData;
  Worker.prototype.nextJobFromJobData = async function (...args) {
    const job = await next.apply(this, args);
    if (job) mark(taskIdOf(job), 'fetched');
    return job;
  };
  const call = Worker.prototype.callProcessJob;
  Worker.prototype.callProcessJob = function (job, ...rest) {
    mark(taskIdOf(job), 'processor');
    return call.call(this, job, ...rest);
  };
}

/** Queries a connection has sent before (0: its first, on a fresh backend). */
const sentBefore = new WeakMap();

function patchPg(Client) {
  if (!Client || patched.has(Client)) return;
  patched.add(Client);
  const query = Client.prototype.query;
  Client.prototype.query = function (config, values, callback) {
    const text = typeof config === 'string' ? config : config?.text;
    if (typeof text !== 'string') return query.call(this, config, values, callback);
    const params = Array.isArray(values) ? values : config?.values;
    const n = sentBefore.get(this) ?? 0;
    sentBefore.set(this, n + 1);
    // The task-state statement (claims, progress and completions of a group commit) has the
    // claimed ids as its first parameter; the submission's INSERT is told by its text.
    const kind = /status = 'STARTED'/.test(text) ? 'task states' : /^\s*insert into "?tasks"? /i.test(text) ? 'insert' : text.trim().slice(0, 40);
    const claimed = kind === 'task states' && Array.isArray(params?.[0]) ? params[0] : [];
    const statement = { kind, sent: now(), fresh: n === 0, claims: claimed.length };
    statements.push(statement);
    for (const id of claimed) mark(id, 'claim sent');
    const done = () => {
      statement.answered = now();
      for (const id of claimed) mark(id, 'claim answered');
    };
    // pg-pool passes a callback (as values when there are none); Kysely awaits a promise.
    const wrap =
      (cb) =>
      (...a) => (done(), cb(...a));
    if (typeof callback === 'function') return query.call(this, config, values, wrap(callback));
    if (typeof values === 'function') return query.call(this, config, wrap(values));
    const result = query.call(this, config, values, callback);
    if (result && typeof result.then === 'function') result.then(done, done);
    return result;
  };
}

const load = Module._load;
Module._load = function (request, ...rest) {
  const exported = load.call(this, request, ...rest);
  if (request === 'bullmq') patchWorker(exported.Worker);
  if (request === 'pg') patchPg(exported.Client);
  return exported;
};

process.on('exit', () => {
  if (file) fs.writeFileSync(file, JSON.stringify({ marks, statements }));
});
