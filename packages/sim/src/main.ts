import { loadConfigOrExit, simEnvSchema } from '@conveyor/config';
import { LlmSimulator } from './llm-simulator';

// Runs the LLM simulator on its own, for keyless local runs: `npm start` starts it when no
// provider key is configured and points the workers' OPENROUTER_BASE_URL at it. When it
// cannot listen (its port taken), it says so, naming the port and SIM_PORT, and exits 1.
const { SIM_PORT: port, HOST: host } = loadConfigOrExit(simEnvSchema, 'llm-sim');
const log = (level: 'info' | 'error', message: string, fields: Record<string, unknown>) =>
  (level === 'error' ? process.stderr : process.stdout).write(`${JSON.stringify({ level, service: 'llm-sim', message, ...fields })}\n`);
const sim = new LlmSimulator();
sim.listen(port, host).then(
  (url) => log('info', 'LLM simulator listening', { url }),
  (error: NodeJS.ErrnoException) => {
    const why = error.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : `cannot listen on ${host}:${port}: ${error.message}`;
    log('error', `LLM simulator not started: ${why}; free it or set SIM_PORT to another port`, { port, host, code: error.code });
    process.exit(1);
  },
);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
