import { DataSourcesSimulator } from '../src';

/** An answer as the tests read it: status, content type, and the body (parsed when it is JSON). */
export interface RouteAnswer {
  status: number;
  type: string;
  body: any;
}

/**
 * A DataSourcesSimulator of one source on a free port, whose clock stands still until a test
 * sets it, and a GET for its paths.
 */
export function startDataSim(source: string, start: number) {
  let now = start;
  const sim = new DataSourcesSimulator({ sources: [source], now: () => now });
  let base = '';
  const get = async (pathAndQuery: string, headers: Record<string, string> = {}): Promise<RouteAnswer> => {
    const res = await fetch(`${base}${pathAndQuery}`, { headers });
    const type = res.headers.get('content-type') ?? '';
    const text = await res.text();
    return { status: res.status, type, body: type.startsWith('application/json') ? JSON.parse(text) : text };
  };
  return {
    sim,
    get,
    setNow: (ms: number) => void (now = ms),
    start: async () => void (base = await sim.listen()),
    close: () => sim.close(),
    reset: () => {
      now = start;
      sim.reset();
    },
  };
}
