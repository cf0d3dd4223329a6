import { XSimulator, type XAccount, type XSimulatorOptions } from '../src';

export const ALICE: XAccount = { token: 'tok-alice', id: '100', username: 'alice', tier: 'pro' };
export const BOB: XAccount = { token: 'tok-bob', id: '200', username: 'bob', tier: 'free' };
export const START = Date.parse('2026-03-01T12:00:00Z');

/** An answer as the tests read it: status, headers, and the JSON body. */
export interface ApiAnswer {
  status: number;
  headers: { get(name: string): string | null };
  body: Record<string, any>;
}

/** A simulator on a free port with a clock that moves only when a test advances it, and a tiny client for it. */
export function startX(options: XSimulatorOptions = {}) {
  const sim = new XSimulator({ accounts: [ALICE, BOB], now: () => START, ...options });
  let base = '';
  const api = async (
    method: string,
    path: string,
    { token = ALICE.token, json, form }: { token?: string | null; json?: unknown; form?: FormData } = {},
  ): Promise<ApiAnswer> => {
    const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body: form ?? (json === undefined ? undefined : JSON.stringify(json)) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
  };
  const control = async (method: string, path: string, json?: unknown) =>
    (await fetch(`${base}/_sim/${path}`, { method, body: json === undefined ? undefined : JSON.stringify(json) })).json() as Promise<Record<string, any>>;
  return {
    sim,
    api,
    control,
    post: (text: string, token = ALICE.token) => api('POST', '/2/tweets', { token, json: { text } }),
    advance: (ms: number) => control('POST', 'clock', { advance_ms: ms }),
    base: () => base,
    start: async () => (base = await sim.listen()),
  };
}
