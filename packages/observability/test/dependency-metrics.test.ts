import { createMetricsRegistry, registerDependencyGauge } from '../src';

const sample = (text: string, dependency: string) =>
  text.match(new RegExp(`^conveyor_dependency_up\\{[^}]*dependency="${dependency}"[^}]*\\} (\\d+)$`, 'm'))?.[1];

describe('conveyor_dependency_up', () => {
  it('runs the readiness checks at every scrape: 1 for a dependency that answers, 0 for one that throws', async () => {
    const registry = createMetricsRegistry('test-svc');
    let redisUp = true;
    let postgresChecks = 0;
    registerDependencyGauge(registry, {
      postgres: async () => {
        postgresChecks += 1;
      },
      redis: async () => {
        if (!redisUp) throw new Error('connection refused');
      },
    });
    const first = await registry.metrics();
    expect(sample(first, 'postgres')).toBe('1');
    expect(sample(first, 'redis')).toBe('1');
    expect(first).toContain('service="test-svc"');
    redisUp = false;
    const second = await registry.metrics();
    expect(sample(second, 'postgres')).toBe('1');
    expect(sample(second, 'redis')).toBe('0');
    redisUp = true;
    expect(sample(await registry.metrics(), 'redis')).toBe('1');
    expect(postgresChecks).toBe(3);
  });

  it('reports 0 for a dependency whose check never answers, and the scrape still completes', async () => {
    const registry = createMetricsRegistry('test-svc');
    registerDependencyGauge(registry, { redis: () => new Promise(() => undefined) });
    expect(sample(await registry.metrics(), 'redis')).toBe('0');
  }, 30_000);
});
