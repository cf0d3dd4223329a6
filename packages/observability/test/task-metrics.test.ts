import { createMetricsRegistry, createTaskMetrics } from '../src';

/** The value of one line of the scrape text, or undefined when it is not there. */
function valueOf(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('createTaskMetrics', () => {
  it('reports the attempts counted plainly at each scrape, each once, with the attempts running now', async () => {
    const registry = createMetricsRegistry('worker-x');
    const metrics = createTaskMetrics(registry);
    for (let i = 0; i < 3; i += 1) metrics.attempts.started('monitoring', 'ping');
    metrics.attempts.ended('monitoring', 'ping', 'success');
    metrics.attempts.ended('monitoring', 'ping', 'failure');
    metrics.attempts.endedWithout('monitoring', 'unknown', 'skipped');
    const labels = (rest: string) => `{queue="monitoring",${rest},service="worker-x"}`;
    let text = await registry.metrics();
    expect(valueOf(text, `conveyor_task_attempts_started_total${labels('task="ping"')}`)).toBe(3);
    expect(valueOf(text, `conveyor_task_attempts_finished_total${labels('task="ping",outcome="success"')}`)).toBe(1);
    expect(valueOf(text, `conveyor_task_attempts_finished_total${labels('task="ping",outcome="failure"')}`)).toBe(1);
    expect(valueOf(text, `conveyor_task_attempts_finished_total${labels('task="unknown",outcome="skipped"')}`)).toBe(1);
    expect(valueOf(text, 'conveyor_tasks_active{queue="monitoring",service="worker-x"}')).toBe(1);

    // A second scrape adds only what was counted since the first.
    metrics.attempts.ended('monitoring', 'ping', 'success');
    text = await registry.metrics();
    expect(valueOf(text, `conveyor_task_attempts_started_total${labels('task="ping"')}`)).toBe(3);
    expect(valueOf(text, `conveyor_task_attempts_finished_total${labels('task="ping",outcome="success"')}`)).toBe(2);
    expect(valueOf(text, `conveyor_task_attempts_finished_total${labels('task="ping",outcome="failure"')}`)).toBe(1);
    expect(valueOf(text, 'conveyor_tasks_active{queue="monitoring",service="worker-x"}')).toBe(0);

    // Reading one counter alone folds too.
    metrics.attempts.started('monitoring', 'ping');
    const started = await metrics.started.get();
    expect(started.values).toEqual([expect.objectContaining({ labels: { queue: 'monitoring', task: 'ping' }, value: 4 })]);
  });
});
