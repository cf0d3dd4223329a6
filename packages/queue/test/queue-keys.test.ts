import { jobKey, queueKey, queuePrefix } from '../src';

// The key layout others build on (dashboards, autoscalers): each queue under its own hash tag.
describe('the key layout', () => {
  it('gives each queue its own prefix, hash-tagged with the queue name', () => {
    expect(queuePrefix('conveyor', 'scraping')).toBe('conveyor:{scraping}');
    expect(queueKey('conveyor', 'scraping', 'wait')).toBe('conveyor:{scraping}:scraping:wait');
    expect(jobKey('conveyor', 'analysis', 'f00')).toBe('conveyor:{analysis}:analysis:f00');
  });
});
