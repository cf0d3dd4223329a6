import type { Principal } from '@conveyor/db';
import { PrincipalCache } from '../src/principal-cache';

const principal = (tenantId: string): Principal => ({ keyId: `key-${tenantId}`, tenantId, plan: 'trial', isAdmin: false });

describe('PrincipalCache', () => {
  afterEach(() => jest.useRealTimers());

  function counting(known: Record<string, Principal>) {
    const calls: string[] = [];
    return { calls, lookup: async (key: string) => (calls.push(key), known[key]) };
  }

  it('looks a key up once within its time to live, then again', async () => {
    jest.useFakeTimers({ now: new Date('2026-11-25T12:00:00Z'), doNotFake: ['setImmediate', 'nextTick'] });
    const { calls, lookup } = counting({ 'cvk_a': principal('a') });
    const cache = new PrincipalCache(lookup, 10_000);
    expect(await cache.get('cvk_a')).toEqual(principal('a'));
    expect(await cache.get('cvk_a')).toEqual(principal('a'));
    jest.setSystemTime(new Date('2026-11-25T12:00:09Z'));
    await cache.get('cvk_a');
    expect(calls).toEqual(['cvk_a']);
    jest.setSystemTime(new Date('2026-11-25T12:00:11Z'));
    await cache.get('cvk_a');
    expect(calls).toEqual(['cvk_a', 'cvk_a']);
  });

  it('does not remember an unknown key, so a key created a moment later works at once', async () => {
    const known: Record<string, Principal> = {};
    const { calls, lookup } = counting(known);
    const cache = new PrincipalCache(lookup, 10_000);
    expect(await cache.get('cvk_new')).toBeUndefined();
    known['cvk_new'] = principal('n');
    expect(await cache.get('cvk_new')).toEqual(principal('n'));
    expect(calls).toEqual(['cvk_new', 'cvk_new']);
  });

  it('looks up every time when turned off', async () => {
    const { calls, lookup } = counting({ 'cvk_a': principal('a') });
    const cache = new PrincipalCache(lookup, 0);
    await cache.get('cvk_a');
    await cache.get('cvk_a');
    expect(calls.length).toBe(2);
  });

  it('keeps at most maxEntries keys, dropping the oldest', async () => {
    const { calls, lookup } = counting({ k1: principal('1'), k2: principal('2'), k3: principal('3') });
    const cache = new PrincipalCache(lookup, 60_000, 2);
    for (const key of ['k1', 'k2', 'k3', 'k3', 'k2', 'k1']) await cache.get(key);
    expect(calls).toEqual(['k1', 'k2', 'k3', 'k1']);
  });
});
