import { createHmac, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Conveyor } from '@conveyor/client';
import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { DEFAULT_SIM_MODELS, LlmSimulator } from '@conveyor/sim';
import { AppStack, freePort, waitFor } from '@conveyor/testkit';
import { clientOf } from './support';

// Spend and its alerts end to end: the API, the analysis worker (real budgeted LLM calls to the
// loopback simulator) and the scheduler (which sends the alerts) as processes. Prompt tokens are
// priced at $0.001 (a call costs cents to a dollar or two, its worst case under the trial cap of
// $5), so one call passes 1 % of the cap; the webhook answers 500 once, then 200.

const PROMPT_PRICE_PER_TOKEN = 0.001;
const sim = new LlmSimulator(DEFAULT_SIM_MODELS.map((m) => ({ ...m, promptPrice: PROMPT_PRICE_PER_TOKEN, completionPrice: 0 })));
const received: { headers: IncomingMessage['headers']; raw: string; answered: number }[] = [];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const answered = received.length === 0 ? 500 : 200;
    received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8'), answered });
    res.writeHead(answered).end();
  });
});
let stack: AppStack;
let conveyor: Conveyor;
let receiverHost: string;

beforeAll(async () => {
  const baseUrl = await sim.listen();
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverHost = `127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const prices = Object.fromEntries(DEFAULT_SIM_MODELS.map((m) => [m.id, { prompt: PROMPT_PRICE_PER_TOKEN * 1e6, completion: 0 }]));
  stack = await AppStack.create({
    template: { key: schemaFingerprint(), migrate: migrateUrl },
    env: {
      OPENROUTER_BASE_URL: baseUrl,
      OPENROUTER_API_KEY: 'sk-sim',
      MODEL_PRICES: JSON.stringify(prices),
      BUDGET_ALERT_ALLOW_HOSTS: receiverHost,
      BUDGET_ALERT_INTERVAL_MS: '200',
      BUDGET_ALERT_BACKOFF_MS: '200',
    },
  });
  const apiPort = await freePort();
  await Promise.all([stack.start('api', apiPort), stack.start('worker-analysis', await freePort()), stack.start('scheduler', await freePort())]);
  conveyor = clientOf(apiPort, (await stack.createTenant('spender', 'trial')).api_key);
}, 300_000);
afterAll(async () => {
  await stack?.stop();
  await sim.close();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
}, 30_000);

it('groups the spend of real LLM calls, and sends each threshold crossed once, signed, retried after a 500', async () => {
  const { secret } = await conveyor.budgetAlerts.put({ url: `http://${receiverHost}/budget`, thresholds: [1] });

  // Three calls at once, in two campaigns: each settles past 1 % of the cap.
  const texts = ['A post about spring launches', 'Another post, on pricing', 'A third post, on hiring'];
  const ids = await Promise.all(
    texts.map(async (text, i) => (await conveyor.tasks.submit('score_post', { text, campaign_id: i === 0 ? 'spring' : 'pricing' })).id),
  );
  const ended = await Promise.all(ids.map((id) => conveyor.tasks.wait(id, { timeoutMs: 120_000 })));
  const succeeded = ended.filter((t) => t.status === 'SUCCESS');
  expect(succeeded.length).toBeGreaterThanOrEqual(1);

  const byModel = await conveyor.usage.get({ groupBy: 'model' });
  const calls = byModel.groups!.reduce((n, g) => n + g.calls, 0);
  expect(calls).toBeGreaterThanOrEqual(succeeded.length);
  expect(byModel.groups!.every((g) => g.prompt_tokens > 0 && g.completion_tokens > 0)).toBe(true);
  expect(byModel.groups!.reduce((n, g) => n + g.cost_usd, 0)).toBeCloseTo(byModel.spent_usd, 6);
  expect((await conveyor.usage.get({ groupBy: 'task' })).groups!.map((g) => g.key)).toEqual(['score_post']);
  const campaigns = (await conveyor.usage.get({ groupBy: 'campaign' })).groups!.map((g) => g.key);
  expect(campaigns.every((key) => key === 'spring' || key === 'pricing')).toBe(true);

  const [delivery] = await waitFor(async () => {
    const deliveries = await conveyor.budgetAlerts.deliveries();
    return deliveries.length === 1 && deliveries[0]!.status === 'delivered' ? deliveries : undefined;
  }, 'the budget alert to be delivered');
  expect(delivery).toMatchObject({ threshold: 1, attempts: 2, period_start: byModel.period_start });
  // One alert: called twice (the 500, then the retry), never a second alert for the same threshold.
  expect(received.map((r) => r.answered)).toEqual([500, 200]);
  for (const call of received) {
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(call.headers['x-conveyor-signature']))!;
    expect(timingSafeEqual(createHmac('sha256', secret).update(`${t}.${call.raw}`).digest(), Buffer.from(v1!, 'hex'))).toBe(true);
    expect(JSON.parse(call.raw)).toMatchObject({ type: 'budget.threshold_crossed', threshold: 1, cap_usd: 5, period_start: byModel.period_start });
  }
}, 240_000);
