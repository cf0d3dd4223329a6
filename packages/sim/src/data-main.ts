import { dataSimEnvSchema, loadConfigOrExit } from '@conveyor/config';
import { DataSourcesSimulator } from './data/data-sources-simulator';

// Runs the data-source simulator on its own: `npm start` starts it when no source URL is
// configured and points the scraping worker at it; compose's dev profile runs it as data-sim.
// When it cannot listen (its port taken), it says so, naming the port and DATA_SIM_PORT, and
// exits 1.
const { DATA_SIM_PORT: port, HOST: host } = loadConfigOrExit(dataSimEnvSchema, 'data-sim');
const log = (level: 'info' | 'error', message: string, fields: Record<string, unknown>) =>
  (level === 'error' ? process.stderr : process.stdout).write(`${JSON.stringify({ level, service: 'data-sim', message, ...fields })}\n`);
const sim = new DataSourcesSimulator();
sim.listen(port, host).then(
  (url) => log('info', 'data-source simulator listening', { url, sources: sim.sources }),
  (error: NodeJS.ErrnoException) => {
    const why = error.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : `cannot listen on ${host}:${port}: ${error.message}`;
    log('error', `data-source simulator not started: ${why}; free it or set DATA_SIM_PORT to another port`, { port, host, code: error.code });
    process.exit(1);
  },
);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
