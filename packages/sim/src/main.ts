import { LlmSimulator } from './llm-simulator';

// Runs the LLM simulator on its own, for keyless local runs: `npm start` starts it when no
// provider key is configured and points the workers' OPENROUTER_BASE_URL at it.
const port = Number(process.env.SIM_PORT ?? 4010);
const sim = new LlmSimulator();
sim.listen(port, process.env.HOST ?? '127.0.0.1').then((url) => {
  process.stdout.write(`${JSON.stringify({ level: 'info', service: 'llm-sim', message: 'LLM simulator listening', url })}\n`);
});
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
