// The console's one way to the API: same-origin fetch with the session cookie, the CSRF header
// on unsafe methods, and (for an admin) the tenant it acts for.

const BASE = '/api/v1';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const TENANT_KEY = 'conveyor.console.tenant';

/** An answer that was not 2xx, carrying the API's own code and message (shown as they are). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** The tenant an admin acts for (sent as X-Conveyor-Tenant), kept for this browser tab only. */
export const actingTenant = {
  get: (): string | null => sessionStorage.getItem(TENANT_KEY),
  set: (tenantId: string | null) => (tenantId ? sessionStorage.setItem(TENANT_KEY, tenantId) : sessionStorage.removeItem(TENANT_KEY)),
};

export type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function api<T>(method: string, path: string, body?: unknown, options: { tenantScoped?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (UNSAFE.has(method)) headers['X-Conveyor-CSRF'] = '1';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const tenant = actingTenant.get();
  if (tenant && options.tenantScoped !== false) headers['X-Conveyor-Tenant'] = tenant;
  let response: Response;
  try {
    response = await fetch(BASE + path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, 'network_error', `The API did not answer: ${(error as Error).message}`);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed = parseJson(text);
  if (!response.ok) {
    const error = parsed as { error?: string; message?: string; issues?: { path: string; message: string }[] } | undefined;
    throw new ApiError(
      response.status,
      error?.error ?? `http_${response.status}`,
      error?.message ?? (text.slice(0, 300) || response.statusText),
      error?.issues ?? [],
    );
  }
  return parsed as T;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Where the live events of a task are: same-origin with the cookie, or with a task token for an admin acting for a tenant (EventSource sends no headers). */
export async function eventsUrl(taskId: string): Promise<string> {
  if (!actingTenant.get()) return `${BASE}/tasks/${encodeURIComponent(taskId)}/events`;
  const token = await api<{ events_url: string }>('POST', `/tasks/${encodeURIComponent(taskId)}/tokens`, { ttl_seconds: 900 });
  const url = new URL(token.events_url, location.origin);
  return url.pathname + url.search;
}
