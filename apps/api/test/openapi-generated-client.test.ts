import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import ts from 'typescript';
import { type Harness, startHarness } from './helpers';

// The proof that the served document is complete enough for a client: openapi-typescript's
// CLI, given only the input and the output, turns it into types, and code written against them
// compiles under strict: true alone; code that breaks the contract does not. (The CLI, not the
// library: its CommonJS build loads an ES module, which Jest cannot.)

const generator = join(dirname(require.resolve('openapi-typescript/package.json')), 'bin', 'cli.js');

const TYPES = `import type { components, operations, paths } from './api';

type Submission = paths['/tasks']['post']['requestBody']['content']['application/json'];
type Batch = operations['submitTaskBatch']['requestBody']['content']['application/json'];
type Task = operations['getTask']['responses'][200]['content']['application/json'];
type TaskStatus = components['schemas']['TaskStatus'];
type ApiError = components['schemas']['Error'];
type RateLimited = operations['submitTask']['responses'][429];
`;

/** Uses every part of the contract the issue names, correctly. */
const VALID = `${TYPES}
// generate_draft's tone and platform have defaults: a client may leave them out.
export const draft: Submission = { task: 'generate_draft', payload: { brief: 'A launch post for the new plan' } };
// ping's payload accepts {}, so the payload itself may be left out.
export const batch: Batch = { tasks: [draft, { task: 'ping' }, { task: 'test_task', payload: { message: 'hi', steps: 2 } }] };

export function describe(submission: Submission): string {
  switch (submission.task) {
    case 'generate_draft':
      return submission.payload.brief; // narrowed by task: only generate_draft has a brief
    case 'test_task':
      return submission.payload.message;
    default:
      return submission.task;
  }
}

export const finished = (task: Task): boolean => task.status === 'SUCCESS' || task.status === 'FAILURE' || task.status === 'REVOKED';
export const statuses: TaskStatus[] = ['PENDING', 'STARTED', 'PROGRESS', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED'];

export function explain(problem: ApiError): string {
  const fields = (problem.issues ?? []).map((issue) => issue.path + ': ' + issue.message);
  return [problem.error, problem.message, ...fields, problem.request_id].join('; ');
}
export const wait = (answer: RateLimited): number => Number(answer.headers['Retry-After']);
export const problem: RateLimited['content']['application/json'] = { error: 'rate_limited', message: 'Slow down', request_id: 'r-1' };
`;

/** Each breaks the contract in one way, and the compiler says so in the words given. */
const INVALID: Record<string, { source: string; says: RegExp }> = {
  'a status not in the enum': { source: `export const status: TaskStatus = 'DONE';`, says: /"DONE"/ },
  'a comparison with a status not in the enum': {
    source: `export const done = (task: Task) => task.status === 'COMPLETED';`,
    says: /no overlap/,
  },
  'a submission without its required brief': {
    source: `export const draft: components['schemas']['Submit_generate_draft'] = { task: 'generate_draft', payload: { tone: 'dry' } };`,
    says: /'brief' is missing/,
  },
  'a task that is not in the catalog': { source: `export const draft: Submission = { task: 'make_coffee', payload: {} };`, says: /make_coffee/ },
  'a field of another task after narrowing': {
    source: `export const brief = (s: Submission) => (s.task === 'test_task' ? s.payload.brief : '');`,
    says: /Property 'brief' does not exist/,
  },
  'an error without its message': { source: `export const problem: ApiError = { error: 'x', request_id: 'r' };`, says: /'message' is missing/ },
};

/**
 * Compiles each source beside the generated types in one program, with strict: true and
 * nothing else, and gives each file's diagnostics by name ('api' for the generated types).
 * What getPreEmitDiagnostics gives, less the check of TypeScript's own lib files (lib.dom.d.ts
 * and the rest: most of the work, ~3 of 4 s, and never a diagnostic of the contract's).
 */
function compile(dir: string, sources: Record<string, string>): Record<string, string[]> {
  const files = Object.entries(sources).map(([name, source]) => {
    writeFileSync(join(dir, `${name}.ts`), source);
    return join(dir, `${name}.ts`);
  });
  const found: Record<string, string[]> = Object.fromEntries(['api', ...Object.keys(sources)].map((name) => [name, []]));
  const program = ts.createProgram(files, { strict: true });
  const ours = program.getSourceFiles().filter((file) => !program.isSourceFileDefaultLibrary(file));
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...ours.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ];
  for (const d of diagnostics) {
    const name = d.file ? basename(d.file.fileName, '.ts') : 'api';
    (found[name] ??= []).push(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }
  return found;
}

describe('a client generated from /docs/openapi.json', () => {
  let h: Harness;
  let dir: string;
  let found: Record<string, string[]>;
  const invalid = Object.entries(INVALID).map(([what, c], i) => ({ what, name: `invalid_${i}`, ...c }));
  beforeAll(async () => {
    h = await startHarness();
    const res = await request(h.app).get('/docs/openapi.json');
    expect(res.status).toBe(200);
    dir = mkdtempSync(join(tmpdir(), 'conveyor-openapi-client-'));
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(res.body));
    await promisify(execFile)(process.execPath, [generator, join(dir, 'openapi.json'), '--output', join(dir, 'api.ts')], { timeout: 120_000 });
    found = compile(dir, { valid: VALID, ...Object.fromEntries(invalid.map((c) => [c.name, `${TYPES}\n${c.source}\n`])) });
  }, 240_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await h.close();
  });

  it('compiles, strict, in code that submits, narrows, compares statuses and reads errors', () => {
    expect(found.api).toEqual([]);
    expect(found.valid).toEqual([]);
  });

  it.each(invalid)('refuses $what', ({ name, says }) => {
    expect(found[name]!.join('\n')).toMatch(says);
  });
});
