import { createXAccountBodySchema, rawTokenFields, tokenSecretRefSchema, xHandleSchema } from '../src';

describe('the X account API contract', () => {
  it("reads a handle by X's rule, with or without a leading @", () => {
    expect(xHandleSchema.parse('@acme_news')).toBe('acme_news');
    expect(xHandleSchema.parse('ev')).toBe('ev');
    for (const bad of ['', '@', '@@acme', 'a'.repeat(16), 'acme-news', 'acme news', 'ácme']) expect(xHandleSchema.safeParse(bad).success).toBe(false);
  });

  it('takes a secret reference as env:X_TOKEN_<NAME> only, and never repeats a refused value', () => {
    expect(tokenSecretRefSchema.parse('env:X_TOKEN_ACME')).toBe('env:X_TOKEN_ACME');
    expect(tokenSecretRefSchema.parse(`env:X_TOKEN_${'A'.repeat(120)}`)).toHaveLength(132);
    const token = 'AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid';
    for (const bad of [
      token,
      'env:x_token_a',
      'env:X_TOKEN_',
      'env:DATABASE_URL',
      'env:OPENROUTER_API_KEY',
      `env:X_TOKEN_${'A'.repeat(121)}`,
      'vault:x/acme',
      'env:',
    ]) {
      const result = tokenSecretRefSchema.safeParse(bad);
      expect(result.success).toBe(false);
      expect(JSON.stringify(result.error?.issues)).not.toContain(token);
    }
    expect(createXAccountBodySchema.safeParse({ handle: 'acme', api_tier: 'basic', token_secret_ref: 'env:X_TOKEN_X' }).success).toBe(true);
  });

  it('names the fields of a body that carry a token itself', () => {
    expect(rawTokenFields({ handle: 'acme', token: 'x', Access_Token: 'y', 'bearer-token': 'z', token_secret_ref: 'env:X_TOKEN_X' })).toEqual([
      'token',
      'Access_Token',
      'bearer-token',
    ]);
    expect(rawTokenFields({ handle: 'acme', token_secret_ref: 'env:X_TOKEN_X' })).toEqual([]);
    expect(rawTokenFields(null)).toEqual([]);
    expect(rawTokenFields(['token'])).toEqual([]);
  });
});
