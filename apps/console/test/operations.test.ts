import { waitFor } from '@conveyor/testkit';
import { ConsoleStack, type Json, screenshot } from './support/console-stack';

// The operator's pages in a real Chromium against the real API (serving the built console),
// the monitoring and analysis workers (the model is the loopback LLM simulator) and the
// scheduler: dead letters, schedules, spend, queues and workers, and an admin's tenants.

jest.setTimeout(240_000);

let s: ConsoleStack;
beforeAll(async () => {
  s = await ConsoleStack.start({ apps: ['worker-monitoring', 'worker-analysis', 'scheduler'], llm: true });
}, 300_000);
afterAll(async () => {
  await s?.stop();
}, 60_000);

/** A test_task that fails every attempt (three), so it ends as a dead letter; answers its id once the API lists it. */
async function deadLetter(key: string, message: string): Promise<string> {
  const submitted = await s.call('POST', '/tasks', { key }, { task: 'test_task', payload: { message, steps: 1, step_ms: 0, fail_attempts: 5 } });
  const id = submitted.body.task_id as string;
  expect((await s.waitForEnd(id, key)).status).toBe('FAILURE');
  await waitFor(
    async () => ((await s.call('GET', '/dead-letters?task=test_task', { key })).body.dead_letters as Json[] | undefined)?.find((d) => d.task_id === id),
    `dead letter ${id}`,
    60_000,
    200,
  );
  return id;
}

it('replays a dead letter with an edited payload (showing the API refusal of a bad one), replays the selected, and discards', async () => {
  const tenant = await s.tenant('Acme Dead Letters');
  const [edited, selected, discarded] = (await Promise.all(['edit me', 'select me', 'discard me'].map((message) => deadLetter(tenant.api_key, message)))) as [
    string,
    string,
    string,
  ];
  const { page, context, cspViolations } = await s.signIn(tenant.api_key);
  await page.goto(`${s.base}/console/dead-letters`);
  await page.locator('table.groups tbody tr').filter({ hasText: 'test_task' }).filter({ hasText: '3' }).waitFor();
  for (const id of [edited, selected, discarded]) await page.locator(`table.dead-letters tr[data-task-id="${id}"]`).waitFor();
  await screenshot(page, 'dead-letters');

  // A payload the task's contract refuses: the API's 400 names the field, and nothing is replayed.
  const row = page.locator(`table.dead-letters tr[data-task-id="${edited}"]`);
  await row.getByRole('button', { name: 'Edit payload' }).click();
  const editor = page.getByLabel('payload');
  await editor.fill('{"message": 5}');
  await page.getByRole('button', { name: 'Replay with this payload' }).click();
  await page.getByRole('alert').filter({ hasText: '400' }).filter({ hasText: 'message' }).waitFor();
  expect((await s.call('GET', `/tasks/${edited}`, { key: tenant.api_key })).body.status).toBe('FAILURE');

  await editor.fill('{"message": "fixed by hand"}');
  await page.getByRole('button', { name: 'Replay with this payload' }).click();
  await page.getByRole('status').filter({ hasText: 'with the edited payload: now PENDING' }).waitFor();
  const replayed = await s.waitForEnd(edited, tenant.api_key);
  expect(replayed.status).toBe('SUCCESS');
  expect((await s.call('GET', `/tasks/${edited}/result`, { key: tenant.api_key })).body.result).toEqual({ echo: 'fixed by hand' });

  await page.getByRole('checkbox', { name: `select ${selected}` }).check();
  await page.getByRole('button', { name: 'Replay selected (1)' }).click();
  await page.getByRole('status').filter({ hasText: 'Replayed 1 task(s).' }).waitFor();
  await waitFor(
    async () => ((await s.call('GET', `/tasks/${selected}`, { key: tenant.api_key })).body.status !== 'FAILURE' ? true : undefined),
    'the selected replay',
    60_000,
    200,
  );

  page.once('dialog', (dialog) => void dialog.accept());
  await page.locator(`table.dead-letters tr[data-task-id="${discarded}"]`).getByRole('button', { name: 'Discard' }).click();
  await page.locator(`table.dead-letters tr[data-task-id="${discarded}"]`).waitFor({ state: 'detached' });
  const left = (await s.call('GET', '/dead-letters', { key: tenant.api_key })).body.dead_letters as Json[];
  expect(left.map((d) => d.task_id)).not.toContain(discarded);
  expect(cspViolations).toEqual([]);
  await context.close();
});

it('describes schedules in plain words with their next fire in their zone and in UTC, disables one, and runs one now', async () => {
  const tenant = await s.tenant('Acme Schedules');
  const weekday = await s.call(
    'POST',
    '/schedules',
    { key: tenant.api_key },
    { name: 'Weekday ping', task: 'ping', payload: {}, kind: 'cron', cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' },
  );
  const weekly = await s.call(
    'POST',
    '/schedules',
    { key: tenant.api_key },
    { name: 'Monday ping', task: 'ping', payload: {}, kind: 'rrule', rrule: 'FREQ=WEEKLY;BYDAY=MO', dtstart: '2026-01-05T08:30', timezone: 'America/New_York' },
  );
  expect([weekday.status, weekly.status]).toEqual([201, 201]);
  const { page, context } = await s.signIn(tenant.api_key);
  await page.goto(`${s.base}/console/schedules`);
  const cronRow = page.locator(`tr[data-schedule-id="${weekday.body.schedule_id}"]`);
  const rruleRow = page.locator(`tr[data-schedule-id="${weekly.body.schedule_id}"]`);
  await cronRow.getByText(/At 09:00, Monday through Friday \(Europe\/Berlin\)/).waitFor();
  await rruleRow.getByText('Every week on Monday (America/New_York)').waitFor();
  // The next fire: 09:00 on the wall clock of Berlin, and that instant in UTC as the API gives it.
  const next = weekday.body.next_fire_times[0] as string;
  await cronRow.getByText(/ 09:00:00 Europe\/Berlin$/).waitFor();
  await cronRow.getByText(next.slice(0, 19).replace('T', ' '), { exact: true }).waitFor();
  await rruleRow.getByText(/ 08:30:00 America\/New_York$/).waitFor();
  await screenshot(page, 'schedules');

  await cronRow.getByRole('button', { name: 'Disable' }).click();
  await cronRow.locator('td[data-state]').filter({ hasText: 'disabled' }).waitFor();
  expect((await s.call('GET', `/schedules/${weekday.body.schedule_id}`, { key: tenant.api_key })).body.enabled).toBe(false);

  await rruleRow.getByRole('button', { name: 'Run now' }).click();
  await rruleRow.getByRole('button', { name: 'Recent runs' }).click();
  await page.locator('.inline-runs .status-success').first().waitFor();
  const runs = (await s.call('GET', `/tasks?schedule_id=${weekly.body.schedule_id}`, { key: tenant.api_key })).body.tasks as Json[];
  expect(runs.map((r) => r.status)).toEqual(['SUCCESS']);
  await context.close();
});

it("shows the day's spend as a chart and by task, model and campaign, with token counts", async () => {
  const tenant = await s.tenant('Acme Spend');
  const submitted = await s.call(
    'POST',
    '/tasks',
    { key: tenant.api_key },
    { task: 'classify_archetype', payload: { text: 'We shipped the new release today!', campaign_id: 'spring' } },
  );
  expect(submitted.status).toBe(202);
  expect((await s.waitForEnd(submitted.body.task_id, tenant.api_key)).status).toBe('SUCCESS');
  const usage = (await s.call('GET', '/usage?group_by=day', { key: tenant.api_key })).body;
  const today = new Date().toISOString().slice(0, 10);
  const day = (usage.groups as Json[]).find((g) => g.key === today)!;
  expect(day.cost_usd).toBeGreaterThan(0);

  const { page, context } = await s.signIn(tenant.api_key);
  await page.goto(`${s.base}/console/spend`);
  await page.locator('figure[aria-label="Cost by day (USD)"] canvas').waitFor();
  await page
    .locator('table.by-day tr')
    .filter({ hasText: today })
    .filter({ hasText: `$${day.cost_usd < 0.01 ? day.cost_usd.toFixed(6) : day.cost_usd.toFixed(2)}` })
    .waitFor();
  await page.locator('table.by-task tbody tr').filter({ hasText: 'classify_archetype' }).waitFor();
  await page.locator('table.by-campaign tbody tr').filter({ hasText: 'spring' }).waitFor();
  const modelRow = page.locator('table.by-model tbody tr').first();
  await modelRow.waitFor();
  const [, , calls, prompt, completion] = await modelRow.locator('td').allTextContents();
  expect(Number(calls)).toBe(day.calls);
  expect(Number(prompt!.replace(/,/g, ''))).toBe(day.prompt_tokens);
  expect(Number(completion!.replace(/,/g, ''))).toBe(day.completion_tokens);
  await screenshot(page, 'spend');

  // The run behind the spend: its cost, its worker, and the line its handler logged.
  const run = (await s.call('GET', `/tasks/${submitted.body.task_id}`, { key: tenant.api_key })).body;
  await page.goto(`${s.base}/console/runs?campaign_id=spring`);
  await page.locator(`table.runs tr[data-task-id="${run.task_id}"]`).getByRole('link').click();
  await page
    .locator('[data-fact="cost"]')
    .filter({ hasText: `$${run.cost_usd < 0.01 ? run.cost_usd.toFixed(6) : run.cost_usd.toFixed(2)}` })
    .waitFor();
  await page.locator('[data-fact="worker"]').filter({ hasText: run.worker }).waitFor();
  await page.locator('[data-fact="queue"]').filter({ hasText: 'analysis' }).waitFor();
  await page.locator('.logs li').filter({ hasText: 'answered' }).waitFor();
  await context.close();
});

it('shows an admin every tenant by name and acts for the one it picks; queues and workers', async () => {
  const [a, b] = await Promise.all([s.tenant('Initech Admin View'), s.tenant('Umbrella Admin View')]);
  const ran = await s.call('POST', '/tasks', { key: a.api_key }, { task: 'ping', payload: {} });
  await s.waitForEnd(ran.body.task_id, a.api_key);
  const { page, context } = await s.signIn(await s.stack.createAdminKey());
  const options = await page.getByLabel('tenant').locator('option').allTextContents();
  expect(options).toEqual(expect.arrayContaining([expect.stringContaining(a.name), expect.stringContaining(b.name)]));

  await page.getByLabel('tenant').selectOption({ label: `${a.name} (starter)` });
  await page.goto(`${s.base}/console/runs`);
  await page.locator(`table.runs tr[data-task-id="${ran.body.task_id}"]`).waitFor();
  expect(await page.locator('table.runs tbody tr').count()).toBe(1);
  // Its run page too, read with X-Conveyor-Tenant.
  await page.locator(`table.runs tr[data-task-id="${ran.body.task_id}"]`).getByRole('link').click();
  await page.locator('h1 .status-success').waitFor();
  await page.locator('pre.json').filter({ hasText: '"pong"' }).waitFor();
  await page.getByRole('link', { name: 'Runs' }).click();
  await page.getByLabel('tenant').selectOption({ label: `${b.name} (starter)` });
  await page.getByText('No runs match these filters.').waitFor();

  // No tenant: the queues of every tenant, and the worker registry.
  await page.getByLabel('tenant').selectOption({ label: 'no tenant (admin views)' });
  await page.getByRole('link', { name: 'Queues & workers' }).click();
  await page.locator('table.queues tr[data-queue="monitoring"]').waitFor();
  await page.locator('table.workers tbody tr').filter({ hasText: 'monitoring' }).first().waitFor();
  await page.getByRole('link', { name: /queue dashboard/ }).waitFor();
  await screenshot(page, 'queues');
  await context.close();
});
