import { freePort, waitFor } from '@conveyor/testkit';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type CliRunning, type CliStack, cli, spawnCli, startCli, cliStack, stderrShows } from './support/cli';

// The CLI against the real API and monitoring worker, each test with a tenant of its own:
// most command lines through the CLI's entry in this process (support/cli.ts), and those in
// 'the built binary' as child processes of dist/main.js. stderr is never a terminal here, so
// progress comes as plain lines.

const s: CliStack = cliStack();
afterAll(() => s.close());

const HOUR_MS = '3600000';
const tenantEnv = async () => s.envFor(await s.tenantKey());

describe('tasks submit --wait', () => {
  it('exits 1 with the error of a task that ends in FAILURE, and --json prints the task', async () => {
    const env = await tenantEnv();
    // test_task has 3 attempts; each of these fails on purpose.
    const run = await cli(
      ['tasks', 'submit', 'test_task', '--payload', '{"message":"doomed","steps":1,"step_ms":0,"fail_attempts":5}', '--wait', '--json'],
      env,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ended FAILURE after 3 attempts: .*attempt 3 fails on purpose/);
    const task = JSON.parse(run.stdout);
    expect(task).toMatchObject({ status: 'FAILURE', attempts: 3, result: null, error: { message: expect.stringContaining('fails on purpose') } });

    // A FAILURE task can be retried; one that is not FAILURE any more cannot (the API refuses: 3).
    const retried = await cli(['tasks', 'retry', task.task_id, '--json'], env);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({ task_id: task.task_id, status: 'PENDING' });
    const again = await cli(['tasks', 'retry', task.task_id], env);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/^conveyor: .*409/m);
  });

  it('stops waiting with exit 1 after --timeout-ms, and the task goes on', async () => {
    const env = await tenantEnv();
    const run = await cli(['tasks', 'submit', 'ping', '--delay-ms', HOUR_MS, '--wait', '--timeout-ms', '300', '--json'], env);
    expect(run.code).toBe(1);
    const error = JSON.parse(run.stdout).error;
    expect(error).toMatchObject({ type: 'WaitTimeoutError', exit_code: 1, last_status: 'PENDING' });
    const task = JSON.parse((await cli(['tasks', 'get', error.task_id, '--json'], env)).stdout);
    expect(task.status).toBe('PENDING');
  });
});

describe('the built binary (dist/main.js as a child process)', () => {
  it('prints progress on stderr and the result on stdout, and exits 0', async () => {
    const env = await tenantEnv();
    const run = await spawnCli(['tasks', 'submit', 'test_task', '--payload', '{"message":"hello","steps":3,"step_ms":50}', '--wait'], env).done;
    expect(run).toMatchObject({ code: 0, signal: null });
    expect(JSON.parse(run.stdout)).toEqual({ echo: 'hello' });
    expect(run.stderr).toMatch(/^Task [0-9a-f-]{36} submitted \(PENDING\)$/m);
    expect(run.stderr).toMatch(/ SUCCESS 100% Task completed/);
    expect(run.stderr).not.toContain('\x1b');
  });

  it('stops waiting on Ctrl-C with exit 130 without cancelling the task', async () => {
    const env = await tenantEnv();
    const run = spawnCli(['tasks', 'submit', 'ping', '--delay-ms', HOUR_MS, '--wait'], env);
    await stderrShows(run, 'submitted');
    const id = /Task (\S+) submitted/.exec(run.output().stderr)![1]!;
    run.child.kill('SIGINT');
    const ended = await run.done;
    expect(ended.code).toBe(130);
    expect(ended.stderr).toContain(`it goes on (cancel it with: conveyor tasks cancel ${id})`);
    expect(JSON.parse((await cli(['tasks', 'get', id, '--json'], env)).stdout).status).toBe('PENDING');
  });
});

describe('tasks cancel and logs', () => {
  it('follows a task with logs until a cancel revokes it: exit 1, REVOKED', async () => {
    const env = await tenantEnv();
    const submitted = await cli(['tasks', 'submit', 'ping', '--delay-ms', HOUR_MS], env);
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.trim();
    const logs = startCli(['tasks', 'logs', id, '--json'], env);
    await waitForLine(logs, '"type":"state"');
    const cancelled = await cli(['tasks', 'cancel', id], env);
    expect(cancelled).toMatchObject({ code: 0 });
    const ended = await logs.done;
    expect(ended.code).toBe(1);
    expect(ended.stderr).toMatch(/ended REVOKED/);
    const events = ended.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.at(-1)).toMatchObject({ type: 'end', status: 'REVOKED', task_id: id });

    // Cancelling it again is refused (409): exit 3.
    expect((await cli(['tasks', 'cancel', id], env)).code).toBe(3);
  });
});

async function waitForLine(run: CliRunning, text: string) {
  await waitFor(async () => run.output().stdout.includes(text) || undefined, `the CLI to print ${text}`, 120_000);
}

describe('mistakes and failures', () => {
  it('exits 3 with the API message for a payload the API refuses', async () => {
    const env = await tenantEnv();
    const run = await cli(['tasks', 'submit', 'test_task', '--payload', '{"steps":3}'], env);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^conveyor: .*400/m);
    expect(run.stderr).toMatch(/^ {2}- payload\.message: /m);
    expect(run.stdout).toBe('');
  });

  it('exits 3 for an unknown task id, and --json prints the error as JSON', async () => {
    const env = await tenantEnv();
    const run = await cli(['tasks', 'get', '00000000-0000-4000-8000-000000000000', '--json'], env);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout).error).toMatchObject({ type: 'NotFoundError', status: 404, code: 'task_not_found', exit_code: 3 });
  });

  it('exits 2 for a bad flag, a payload that is not JSON, and a payload file that does not exist', async () => {
    const env = await tenantEnv();
    const badFlag = await cli(['tasks', 'submit', 'ping', '--no-such-flag'], env);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("unknown option '--no-such-flag'");
    const notJson = await cli(['tasks', 'submit', 'ping', '--payload', '{nope'], env);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('--payload value is not valid JSON');
    const missing = await cli(['tasks', 'submit', 'ping', '--payload', '@/no/such/file.json'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Cannot read --payload file /no/such/file.json');
    const badNumber = await cli(['tasks', 'list', '--limit', 'many'], env);
    expect(badNumber.code).toBe(2);
    expect((await cli(['tasks', 'list'], {})).code).toBe(2); // no server configured at all
  });

  it('reads the payload from a file', async () => {
    const env = await tenantEnv();
    const file = path.join(tmpdir(), `payload-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ message: 'from a file', steps: 1, step_ms: 0 }));
    const run = await cli(['tasks', 'submit', 'test_task', '--payload', `@${file}`, '--wait'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ echo: 'from a file' });
  });

  it('exits 4 when the server cannot be reached', async () => {
    const closedPort = await freePort();
    // The built binary: an error's exit code is the process's.
    const run = await spawnCli(['tasks', 'list', '--base-url', `http://127.0.0.1:${closedPort}`, '--api-key', 'cvk_not_a_real_key_0123456789']).done;
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('Could not reach the Conveyor API');
    expect(run.stderr).not.toContain('cvk_not_a_real_key_0123456789');
  });
});

describe('tasks list and get', () => {
  it('lists by status, task, queue and tags as JSON and as a table, and --since asks for newer tasks only', async () => {
    const env = await tenantEnv();
    const ids: string[] = [];
    for (const task of ['ping', 'ping', 'test_task']) {
      const payload = task === 'ping' ? '{}' : '{"message":"m"}';
      ids.push((await cli(['tasks', 'submit', task, '--payload', payload, '--delay-ms', HOUR_MS, '--tag', 'a', '--tag', 'b'], env)).stdout.trim());
    }
    const all = JSON.parse((await cli(['tasks', 'list', '--json'], env)).stdout);
    expect(all.map((t: { task_id: string }) => t.task_id)).toEqual([...ids].reverse());
    const pings = JSON.parse((await cli(['tasks', 'list', '--task', 'ping', '--status', 'pending,started', '--json'], env)).stdout);
    expect(pings.map((t: { task_id: string }) => t.task_id)).toEqual([ids[1], ids[0]]);
    const limited = JSON.parse((await cli(['tasks', 'list', '--limit', '1', '--json'], env)).stdout);
    expect(limited.map((t: { task_id: string }) => t.task_id)).toEqual([ids[2]]);
    // Tasks made just now are newer than an hour ago, and none is newer than a time to come.
    expect(JSON.parse((await cli(['tasks', 'list', '--since', '1h', '--json'], env)).stdout)).toHaveLength(3);
    expect(JSON.parse((await cli(['tasks', 'list', '--since', '2999-01-01T00:00:00Z', '--json'], env)).stdout)).toEqual([]);
    expect((await cli(['tasks', 'list', '--since', 'yesterday'], env)).code).toBe(2);
    const tagged = JSON.parse((await cli(['tasks', 'list', '--tag', 'a,b', '--queue', 'monitoring', '--json'], env)).stdout);
    expect(tagged.map((t: { task_id: string }) => t.task_id)).toEqual([...ids].reverse());
    expect(JSON.parse((await cli(['tasks', 'list', '--tag', 'a,c', '--json'], env)).stdout)).toEqual([]);
    expect(JSON.parse((await cli(['tasks', 'list', '--queue', 'generation', '--json'], env)).stdout)).toEqual([]);
    expect((await cli(['tasks', 'list', '--queue', 'nowhere'], env)).code).not.toBe(0);

    const text = await cli(['tasks', 'list'], env);
    expect(text.stdout.split('\n')[0]).toMatch(/^TASK_ID\s+TASK\s+STATUS\s+PROGRESS\s+ATTEMPTS\s+CREATED$/);
    expect(text.stdout).toContain(ids[0]);

    const got = await cli(['tasks', 'get', ids[2]!], env);
    expect(got.stdout).toMatch(/^status\s+PENDING 0%/m);
    expect(got.stdout).toMatch(/^tags\s+a, b$/m);
    expect(got.stdout).toMatch(/^payload\s+\{.*"message":"m"/m);
  });
});
