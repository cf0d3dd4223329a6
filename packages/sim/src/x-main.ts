import { loadConfigOrExit, xSimEnvSchema } from '@conveyor/config';
import { DEV_X_ACCOUNT, XSimulator } from './x-simulator';

// Runs the X API simulator on its own: `npm start` starts it when no X credentials are
// configured and points X_API_BASE_URL at it. When it cannot listen (its port taken), it says
// so, naming the port and X_SIM_PORT, and exits 1.
const { X_SIM_PORT: port, HOST: host, X_SIM_ACCOUNTS: accounts } = loadConfigOrExit(xSimEnvSchema, 'x-sim');
const log = (level: 'info' | 'error', message: string, fields: Record<string, unknown>) =>
  (level === 'error' ? process.stderr : process.stdout).write(`${JSON.stringify({ level, service: 'x-sim', message, ...fields })}\n`);
const sim = new XSimulator({ accounts: accounts ?? [DEV_X_ACCOUNT] });
sim.listen(port, host).then(
  (url) => log('info', 'X API simulator listening', { url, accounts: (accounts ?? [DEV_X_ACCOUNT]).map(({ username, tier }) => ({ username, tier })) }),
  (error: NodeJS.ErrnoException) => {
    const why = error.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : `cannot listen on ${host}:${port}: ${error.message}`;
    log('error', `X API simulator not started: ${why}; free it or set X_SIM_PORT to another port`, { port, host, code: error.code });
    process.exit(1);
  },
);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
