import { Conveyor } from '@conveyor/client';

/** The typed client of the real API listening on this loopback port, with one key (a tenant's, or an admin key). */
export const clientOf = (apiPort: number, apiKey: string): Conveyor => new Conveyor({ baseUrl: `http://127.0.0.1:${apiPort}`, apiKey });

/** An answer of `conveyor.request`, read without a type: these tests check the fields they use. */
export type Json = Record<string, any>;
/** JSON over HTTP to the real API with one key: `call(method, path under /api/v1, body?)`. */
export function apiCaller(api: string, key: string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }> => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
}
