import { baseEnvSchema, parseEnv } from '../src';

const valid = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/conveyor', REDIS_URL: 'redis://127.0.0.1:6379' };

describe('REDIS_CLUSTER_NODES', () => {
  it('is unset by default: one plain Redis at REDIS_URL', () => {
    expect(parseEnv(baseEnvSchema, valid).REDIS_CLUSTER_NODES).toBeUndefined();
    expect(parseEnv(baseEnvSchema, { ...valid, REDIS_CLUSTER_NODES: '' }).REDIS_CLUSTER_NODES).toBeUndefined();
  });

  it('parses comma-separated host:port seeds, IPv6 in brackets', () => {
    const env = parseEnv(baseEnvSchema, { ...valid, REDIS_CLUSTER_NODES: 'redis-a:7000, 10.0.0.2:7001,[::1]:7002' });
    expect(env.REDIS_CLUSTER_NODES).toEqual([
      { host: 'redis-a', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  it.each(['redis-a', 'redis-a:', 'redis-a:0', 'redis-a:70000', 'redis://redis-a:7000', 'a:1,,b:2'])('refuses %p, naming the variable', (value) => {
    expect(() => parseEnv(baseEnvSchema, { ...valid, REDIS_CLUSTER_NODES: value })).toThrow(/REDIS_CLUSTER_NODES: .*is not host:port/);
  });
});
