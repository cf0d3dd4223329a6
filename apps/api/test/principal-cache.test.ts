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
    const { calls, lookup } = counting({ cvk_a: principal('a') });
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

  it('remembers an unknown key as unknown for missTtlMs only, so a key created a moment later works soon', async () => {
    jest.useFakeTimers({ now: new Date('2026-11-25T12:00:00Z'), doNotFake: ['setImmediate', 'nextTick'] });
    const known: Record<string, Principal> = {};
    const { calls, lookup } = counting(known);
    const cache = new PrincipalCache(lookup, 10_000, { missTtlMs: 2000 });
    for (let i = 0; i < 5; i += 1) expect(await cache.get('cvk_new')).toBeUndefined();
    expect(calls).toEqual(['cvk_new']);
    known['cvk_new'] = principal('n');
    jest.setSystemTime(new Date('2026-11-25T12:00:02.001Z'));
    expect(await cache.get('cvk_new')).toEqual(principal('n'));
    expect(calls).toEqual(['cvk_new', 'cvk_new']);
  });

  it('cached() answers from memory only: fresh known keys, never unknown ones', async () => {
    const { calls, lookup } = counting({ cvk_a: principal('a') });
    const cache = new PrincipalCache(lookup, 10_000);
    expect(cache.cached('cvk_a')).toBeUndefined();
    await cache.get('cvk_a');
    await cache.get('cvk_x');
    expect(cache.cached('cvk_a')).toEqual(principal('a'));
    expect(cache.cached('cvk_x')).toBeUndefined();
    expect(calls).toEqual(['cvk_a', 'cvk_x']);
  });

  it('looks up every time when turned off', async () => {
    const { calls, lookup } = counting({ cvk_a: principal('a') });
    const cache = new PrincipalCache(lookup, 0);
    await cache.get('cvk_a');
    await cache.get('cvk_a');
    expect(calls.length).toBe(2);
  });

  it('keeps at most maxEntries keys, dropping the oldest', async () => {
    const { calls, lookup } = counting({ k1: principal('1'), k2: principal('2'), k3: principal('3') });
    const cache = new PrincipalCache(lookup, 60_000, { maxEntries: 2 });
    for (const key of ['k1', 'k2', 'k3', 'k3', 'k2', 'k1']) await cache.get(key);
    expect(calls).toEqual(['k1', 'k2', 'k3', 'k1']);
  });
});
