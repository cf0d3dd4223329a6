import { spawn, spawnSync } from 'node:child_process';

/** Runs a command to completion with inherited output; throws with its name on failure. */
export function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.error) throw new Error(`${cmd} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

/** Runs a command and returns its trimmed stdout, or undefined when it cannot run or fails. */
export function capture(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout.trim();
}

/** Runs a command, streaming its output through onLine, and resolves to its exit code. */
export function stream(cmd, args, options, onLine) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    onLines(child.stdout, onLine);
    onLines(child.stderr, onLine);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Calls onLine with each complete line a stream writes (and the unterminated rest at its end). */
export function onLines(readable, onLine) {
  let buffer = '';
  readable.on('data', (chunk) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop();
    for (const line of lines) onLine(line);
  });
  readable.on('end', () => buffer && onLine(buffer));
}
