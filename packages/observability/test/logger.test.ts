import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { createLogger, withLogContext } from '../src';

function capture() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  return { stream, lines };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('createLogger', () => {
  it('writes JSON lines with the service and the correlation ids in effect', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'worker-x', stream });
    withLogContext({ request_id: 'req-1' }, () => {
      withLogContext({ task_id: 'task-9' }, () => logger.info('claimed', { attempt: 2 }));
    });
    logger.info('outside');
    await flush();
    expect(lines[0]).toMatchObject({ service: 'worker-x', level: 'info', message: 'claimed', request_id: 'req-1', task_id: 'task-9', attempt: 2 });
    expect(lines[1]).not.toHaveProperty('task_id');
  });

  it('never writes secrets, whether as keys, in text or inside errors', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'api', stream });
    logger.info('request', {
      headers: { authorization: 'Bearer cvk_abcdefghijklmnop', 'x-api-key': 'k-123' },
      nested: { db: { password: 'hunter2' } },
      note: 'client sent Bearer sk-live-1234567890',
      error: new Error('auth failed for cvk_abcdefghijklmnop'),
      url: '/api/v1/tasks/x/events?token=secret-in-query&x=1',
      seen: 'a task token cvt_qrstuvwxyz012345 in text',
      session: 'a console session conveyor_session=cvs_sessionid0123456789',
    });
    await flush();
    const text = JSON.stringify(lines[0]);
    for (const secret of [
      'cvk_abcdefghijklmnop',
      'k-123',
      'hunter2',
      'sk-live-1234567890',
      'secret-in-query',
      'cvt_qrstuvwxyz012345',
      'cvs_sessionid0123456789',
    ])
      expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ url: '/api/v1/tasks/x/events?token=[redacted]&x=1' });
    expect(lines[0]).toMatchObject({ nested: { db: { password: '[redacted]' } }, error: { name: 'Error' } });
  });

  it('redacts secret-looking fields at the top level of a line and of a child, and keeps token counts', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'api', stream });
    logger.info('flat', { password: 'hunter2', access_token: 'tok-1', apiKey: 'k-1', cookie: 'c-1', input_tokens: 12, total_tokens: 30 });
    logger.child({ webhook_secret: 'whsec-1', task_id: 't-1' }).info('child');
    await flush();
    const text = JSON.stringify(lines);
    for (const secret of ['hunter2', 'tok-1', 'k-1', 'c-1', 'whsec-1']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ password: '[redacted]', access_token: '[redacted]', apiKey: '[redacted]', input_tokens: 12, total_tokens: 30 });
    expect(lines[1]).toMatchObject({ webhook_secret: '[redacted]', task_id: 't-1' });
  });

  it("drops lines below its level, keeps a child logger's fields on its lines, and ends with a finish", async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'worker-x', stream, level: 'info' });
    const child = logger.child({ task_id: 'task-3', attempt: 1 });
    child.debug('not written');
    child.info('written', { outcome: 'success' });
    logger.warn('parent line');
    const finished = new Promise((resolve) => logger.on('finish', resolve));
    logger.end();
    await finished;
    await flush();
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', message: 'written', task_id: 'task-3', attempt: 1, outcome: 'success', service: 'worker-x' }),
      expect.objectContaining({ level: 'warn', message: 'parent line' }),
    ]);
    expect(lines[1]).not.toHaveProperty('task_id');
  });
  it('writes the lines of one turn of the event loop in one write, in order, before the next turn', async () => {
    const writes: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        writes.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ service: 'worker-x', stream, linesPerTurn: true });
    const child = logger.child({ task_id: 'task-1' });
    child.info('task started');
    await Promise.resolve(); // a promise job of the same turn
    child.info('attempt ended');
    logger.warn('third');
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(1);
    expect(
      writes[0]!
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { message: string }).message),
    ).toEqual(['task started', 'attempt ended', 'third']);
    logger.info('next turn');
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(2);
  });

  it('writes the lines of a turn that never ends when the process exits in it', () => {
    const dist = path.resolve(__dirname, '../dist/index.js');
    const program = `
      const { createLogger } = require(${JSON.stringify(dist)});
      const logger = createLogger({ service: 'exit-test' });
      logger.info('one');
      logger.info('two');
      process.exit(3);`;
    // The timeout only stops a child that hangs: a node start on two busy cores took over 10 s.
    const run = spawnSync(process.execPath, ['-e', program], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status).toBe(3);
    expect(
      run.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { message: string }).message),
    ).toEqual(['one', 'two']);
  });
});
