import net from 'node:net';
import { Writable } from 'node:stream';
import type { XAccount, XSimulator } from '@conveyor/sim';
import { createLogger, type Logger } from '@conveyor/observability';
import type { XEndpoint, XTier } from '@conveyor/contracts';
import { Registry } from 'prom-client';
import { XApiClient, type XApiClientOptions, type XCallAccount, type XCallLimiter, type XRateHeaders } from '../src';

export { rejectionOf } from './rejection-of';

// Shared by the X client's tests: a real XSimulator on loopback with a clock that moves only
// when a test says so, accounts on two tiers, a limiter double that records what the client
// tells it, and a logger whose lines the tests read back.

export const ALICE: XAccount = { token: 'alice-secret-token-0123456789', id: '100', username: 'alice', tier: 'pro' };
export const BOB: XAccount = { token: 'bob-secret-token-9876543210', id: '200', username: 'bob', tier: 'basic' };
export const START = Date.parse('2026-03-01T12:00:00Z');

/** The call account of a simulator account (Conveyor's account id is its own, not X's user id). */
export const callAccount = (account: XAccount): XCallAccount => ({ accountId: `acc-${account.username}`, tier: account.tier, token: account.token });

/** A test double of the XCallLimiter interface: records every acquire and observe; may refuse acquires or fail observes. */
class RecordingLimiter implements XCallLimiter {
  readonly acquired: { accountId: string; tier: XTier; endpoint: XEndpoint }[] = [];
  readonly observed: { accountId: string; endpoint: XEndpoint; headers: XRateHeaders; status: number }[] = [];
  refuse?: (endpoint: XEndpoint) => Error | undefined;
  /** When set, observe fails with it (a limiter whose Redis is away). */
  observeFailure?: Error;

  async acquire(account: { accountId: string; tier: XTier }, endpoint: XEndpoint): Promise<void> {
    this.acquired.push({ accountId: account.accountId, tier: account.tier, endpoint });
    const refusal = this.refuse?.(endpoint);
    if (refusal) throw refusal;
  }

  async observe(account: { accountId: string; tier: XTier }, endpoint: XEndpoint, headers: XRateHeaders, status: number): Promise<void> {
    if (this.observeFailure) throw this.observeFailure;
    this.observed.push({ accountId: account.accountId, endpoint, headers, status });
  }
}

/** A logger at debug level whose JSON lines are kept in `lines`. */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ service: 'integrations-test', level: 'debug', stream }), lines };
}

/**
 * XApiClients against `sim` (made with ALICE and BOB, its clock fixed at START) that share one
 * limiter, logger and registry; start() makes the simulator listen.
 */
export function withXSim(sim: XSimulator) {
  const state = { baseUrl: '' };
  const limiter = new RecordingLimiter();
  const { logger, lines } = capturedLogger();
  const registry = new Registry();
  const client = (overrides: Partial<XApiClientOptions> = {}) =>
    new XApiClient({
      baseUrl: state.baseUrl,
      limiter,
      logger,
      registry,
      // Media processing waits move the simulator's clock instead of the test's.
      sleep: async (ms) => sim.advance(ms),
      ...overrides,
    });
  return {
    sim,
    limiter,
    lines,
    registry,
    client,
    baseUrl: () => state.baseUrl,
    start: async () => {
      state.baseUrl = await sim.listen();
    },
    close: () => sim.close(),
    /** Back to a clean simulator and limiter record between tests. */
    reset: () => {
      sim.reset();
      limiter.acquired.length = 0;
      limiter.observed.length = 0;
      limiter.refuse = undefined;
      limiter.observeFailure = undefined;
      lines.length = 0;
      registry.resetMetrics();
    },
  };
}

/** A loopback port nothing listens on (one that was just free and closed again): connecting is refused. */
export function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
