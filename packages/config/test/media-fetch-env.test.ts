import { mediaFetchEnvSchema, parseEnv } from '../src';

describe('MEDIA_FETCH_ALLOW_HOSTS', () => {
  it('allows no host by default', () => {
    expect(parseEnv(mediaFetchEnvSchema, {}).MEDIA_FETCH_ALLOW_HOSTS).toEqual([]);
    expect(parseEnv(mediaFetchEnvSchema, { MEDIA_FETCH_ALLOW_HOSTS: '' }).MEDIA_FETCH_ALLOW_HOSTS).toEqual([]);
  });

  it('parses comma-separated host[:port] entries into the form a URL writes its host in', () => {
    const env = parseEnv(mediaFetchEnvSchema, { MEDIA_FETCH_ALLOW_HOSTS: 'CDN.Internal, 127.0.0.1:9000,[::1]:8080,0x7f.1:81' });
    expect(env.MEDIA_FETCH_ALLOW_HOSTS).toEqual(['cdn.internal', '127.0.0.1:9000', '[::1]:8080', '127.0.0.1:81']);
  });

  it.each(['http://cdn.internal', 'cdn.internal/media', 'user@cdn.internal', 'cdn.internal:0', 'cdn.internal:70000', 'cdn.internal:', 'a,,b', '::1:80'])(
    'refuses %p, naming the variable',
    (value) => {
      expect(() => parseEnv(mediaFetchEnvSchema, { MEDIA_FETCH_ALLOW_HOSTS: value })).toThrow(/MEDIA_FETCH_ALLOW_HOSTS: .*is not host or host:port/);
    },
  );
});
