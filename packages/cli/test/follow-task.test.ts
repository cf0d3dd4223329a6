import { Conveyor } from '@conveyor/client';
import { InterruptedError } from '../src/exit-codes';
import { catchSigint, followTask } from '../src/follow-task';

// `submit --wait` prints the task's id before it follows the task. A Ctrl-C sent as soon as
// that line appears once killed the process (exit by signal, not 130) when it came before the
// follow's own listener: the catcher started before the submission carries it over.
describe('a Ctrl-C caught before following begins', () => {
  it('stops the follow at once with the interrupted error, and the task goes on', async () => {
    const sigint = catchSigint();
    try {
      process.emit('SIGINT');
      expect(sigint.pressed).toBe(true);
      // Nothing listens here: an aborted follow sends no request.
      const conveyor = new Conveyor({ baseUrl: 'http://127.0.0.1:9', apiKey: 'cvk_unused' });
      const following = followTask(conveyor, 'task-1', { sigintBefore: sigint, onEvent: () => undefined, onNote: () => undefined });
      await expect(following).rejects.toBeInstanceOf(InterruptedError);
      await expect(following).rejects.toThrow('Stopped waiting for task task-1; it goes on');
    } finally {
      sigint.dispose();
    }
    expect(process.listenerCount('SIGINT')).toBe(0);
  });
});
