import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EnvSecretsProvider, InvalidSecretRefError, SecretNotFoundError, createSecretsProvider } from '../src';
import { rejectionOf } from './rejection-of';

const TOKEN = 'oauth2-user-token-that-must-not-leak';
const env = { X_TOKEN_ACME: TOKEN, EMPTY_TOKEN: '' };

describe('EnvSecretsProvider', () => {
  const provider = new EnvSecretsProvider(env);

  it('reads env:NAME from the environment it was given', async () => {
    await expect(provider.get('env:X_TOKEN_ACME')).resolves.toBe(TOKEN);
  });

  it('names the reference of a secret that is not set (or empty), never a value', async () => {
    for (const ref of ['env:X_TOKEN_OTHER', 'env:EMPTY_TOKEN']) {
      const error = await rejectionOf(provider.get(ref));
      expect(error).toBeInstanceOf(SecretNotFoundError);
      expect(error.message).toBe(`secret ${ref} is not set`);
    }
  });

  it('refuses a reference of another form, without repeating it (it may be a secret pasted in by mistake)', async () => {
    for (const ref of ['X_TOKEN_ACME', 'env:x_token_acme', 'env:', 'env:X-TOKEN', TOKEN, `env:${TOKEN}`]) {
      const error = await rejectionOf(provider.get(ref));
      expect(error).toBeInstanceOf(InvalidSecretRefError);
      expect(error.message).toMatch(/^secret reference must be env:NAME with NAME of capitals, digits and _ \(like env:X_TOKEN_ACME\); got /);
      expect(error.message).not.toContain(TOKEN);
    }
  });

  it('with a name prefix, hands out only the variables that carry it', async () => {
    const provider = new EnvSecretsProvider({ X_TOKEN_ACME: TOKEN, DATABASE_URL: 'postgres://secret' }, 'X_TOKEN_');
    await expect(provider.get('env:X_TOKEN_ACME')).resolves.toBe(TOKEN);
    const error = await rejectionOf(provider.get('env:DATABASE_URL'));
    expect(error).toBeInstanceOf(InvalidSecretRefError);
    expect(error.message).toBe('secret reference must name a variable X_TOKEN_<NAME> (like env:X_TOKEN_ACME); other variables are not secrets to hand out');
    expect(error.message).not.toContain('postgres://');
  });

  it('stops on an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(provider.get('env:X_TOKEN_ACME', { signal: controller.signal })).rejects.toThrow('stop');
  });

  it('reads process.env by default', async () => {
    process.env.CONVEYOR_TEST_SECRET = 'from-process-env';
    try {
      await expect(new EnvSecretsProvider().get('env:CONVEYOR_TEST_SECRET')).resolves.toBe('from-process-env');
    } finally {
      delete process.env.CONVEYOR_TEST_SECRET;
    }
  });
});

describe('EnvSecretsProvider with NAME_FILE (a secret mounted as a file, as docker-compose.prod.yml does)', () => {
  let dir: string;
  const file = (name: string, content: string) => {
    const at = path.join(dir, name);
    writeFileSync(at, content);
    return at;
  };
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'secret-files-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads NAME from the file NAME_FILE names, without its trailing newline, afresh at every call', async () => {
    const at = file('x_token_main', `${TOKEN}\n`);
    const provider = new EnvSecretsProvider({ X_TOKEN_MAIN_FILE: at, X_TOKEN_EMPTY: '' });
    await expect(provider.get('env:X_TOKEN_MAIN')).resolves.toBe(TOKEN);
    writeFileSync(at, 'rotated-token');
    await expect(provider.get('env:X_TOKEN_MAIN')).resolves.toBe('rotated-token');
  });

  it('names the variable and the reason when the file is missing or empty, never its path or a value', async () => {
    const missing = path.join(dir, 'nope');
    const empty = file('empty', '\n');
    const provider = new EnvSecretsProvider({ X_TOKEN_A_FILE: missing, X_TOKEN_B_FILE: empty, X_TOKEN_C: TOKEN, X_TOKEN_C_FILE: file('c', TOKEN) });
    const cases: [string, string][] = [
      ['env:X_TOKEN_A', 'secret env:X_TOKEN_A is not available: the file X_TOKEN_A_FILE names cannot be read (ENOENT)'],
      ['env:X_TOKEN_B', 'secret env:X_TOKEN_B is not available: the file X_TOKEN_B_FILE names is empty'],
      ['env:X_TOKEN_C', 'secret env:X_TOKEN_C is not available: both X_TOKEN_C and X_TOKEN_C_FILE are set; keep one'],
    ];
    for (const [ref, message] of cases) {
      const error = await rejectionOf(provider.get(ref));
      expect(error).toBeInstanceOf(SecretNotFoundError);
      expect(error.message).toBe(message);
      expect(error.message).not.toContain(TOKEN);
      expect(error.message).not.toContain(dir);
    }
  });

  it('stops on an aborted signal before reading', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const provider = new EnvSecretsProvider({ X_TOKEN_MAIN_FILE: file('t', TOKEN) });
    await expect(provider.get('env:X_TOKEN_MAIN', { signal: controller.signal })).rejects.toThrow('stop');
  });
});

describe('createSecretsProvider', () => {
  const provider = createSecretsProvider({ env });

  it('hands env: references to the environment backend', async () => {
    await expect(provider.get('env:X_TOKEN_ACME')).resolves.toBe(TOKEN);
    await expect(provider.get('env:MISSING')).rejects.toBeInstanceOf(SecretNotFoundError);
  });

  it('refuses an unknown scheme, naming it and the known ones', async () => {
    const error = await rejectionOf(provider.get('gsm:projects/p/secrets/x/versions/1'));
    expect(error).toBeInstanceOf(InvalidSecretRefError);
    expect(error.message).toBe('secret reference must start with one of env: (like env:X_TOKEN_ACME); got the unknown scheme gsm:');
  });

  it('refuses a reference without a scheme without repeating it', async () => {
    const error = await rejectionOf(provider.get(TOKEN));
    expect(error).toBeInstanceOf(InvalidSecretRefError);
    expect(error.message).toBe(
      `secret reference must start with one of env: (like env:X_TOKEN_ACME); got a reference of ${TOKEN.length} characters without a scheme`,
    );
  });
});
