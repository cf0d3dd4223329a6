import { spawnSync } from 'node:child_process';
import path from 'node:path';

// Runs a tiny program on the built package: installs the handler, then fails the given way.
function crash(how: string) {
  const dist = path.resolve(__dirname, '../dist/index.js');
  const program = `
    const { createLogger, exitOnFatalError, withLogContext } = require(${JSON.stringify(dist)});
    const logger = createLogger({ service: 'crash-test' });
    exitOnFatalError(logger);
    withLogContext({ task_id: 'task-7' }, () => setTimeout(() => { ${how} }, 10));`;
  // The timeout only stops a child that hangs: a node start on two busy cores took over 10 s.
  const run = spawnSync(process.execPath, ['-e', program], { encoding: 'utf8', timeout: 120_000 });
  const lines = run.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: run.status, lines, stderr: run.stderr };
}

describe('exitOnFatalError', () => {
  it('logs an uncaught exception as one JSON line with its correlation ids, then exits 1', () => {
    const { status, lines, stderr } = crash("throw new Error('boom with Bearer abcdefghijklmnop')");
    expect(status).toBe(1);
    expect(stderr).toBe('');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'fatal error: exiting',
        kind: 'uncaughtException',
        service: 'crash-test',
        task_id: 'task-7',
        error: { name: 'Error', message: 'boom with Bearer [redacted]' },
      }),
    ]);
  });

  it('treats an unhandled rejection the same way', () => {
    const { status, lines } = crash("Promise.reject(new TypeError('nobody caught me'))");
    expect(status).toBe(1);
    expect(lines[0]).toMatchObject({ kind: 'unhandledRejection', error: { name: 'TypeError', message: 'nobody caught me' } });
  });
});
