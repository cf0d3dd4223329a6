import { PassThrough } from 'node:stream';
import type { TaskStreamEvent } from '@conveyor/client';
import { Output } from '../src/output';
import { ProgressView } from '../src/progress';

// The bar only shows on a terminal, which a child process's stderr never is in a test: here
// the view writes to a stream that says it is one.

function terminal(columns: number) {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns });
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
  return { stream, written: () => written };
}

const event = (progress: number, status: TaskStreamEvent['status'], message: string | null): TaskStreamEvent => ({
  type: 'state',
  eventId: null,
  task_id: 't',
  status,
  progress,
  message,
  attempts: 1,
  at: '2025-01-01T00:00:00.000Z',
});

describe('ProgressView', () => {
  it('redraws one line in place on a terminal and ends it before a note', () => {
    const err = terminal(80);
    const view = new ProgressView(new Output(false, new PassThrough(), err.stream));
    view.update(event(40, 'PROGRESS', 'step 2/5'));
    view.update(event(100, 'SUCCESS', 'Task completed'));
    view.note('done');
    expect(err.written()).toBe(
      '\r\x1b[2K[##########--------------]  40% PROGRESS step 2/5' + '\r\x1b[2K[########################] 100% SUCCESS Task completed' + '\ndone\n',
    );
  });

  it('cuts the line to the terminal width so it never wraps', () => {
    const err = terminal(40);
    new ProgressView(new Output(false, new PassThrough(), err.stream)).update(event(0, 'STARTED', 'x'.repeat(100)));
    expect(err.written().replace('\r\x1b[2K', '')).toHaveLength(39);
  });

  it('writes plain lines, one per change, when stderr is not a terminal', () => {
    const err = terminal(80);
    err.stream.isTTY = false;
    const view = new ProgressView(new Output(false, new PassThrough(), err.stream));
    view.update(event(40, 'PROGRESS', 'step 2/5'));
    view.finish();
    expect(err.written()).toBe('2025-01-01T00:00:00.000Z PROGRESS 40% step 2/5 (attempt 1)\n');
  });
});
