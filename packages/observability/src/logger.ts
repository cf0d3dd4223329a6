import winston from 'winston';
import { currentLogContext } from './context';
import { redact, redactField } from './redact';

export type Logger = winston.Logger;

export interface LoggerOptions {
  service: string;
  level?: string;
  format?: 'json' | 'pretty';
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  stream?: NodeJS.WritableStream;
  /**
   * Whether the lines of one turn of the event loop go out in one write (TurnWriter). By
   * default they do on stdout, where readers read lines whatever the writes; a stream given
   * here gets one write a line, as a reader of its chunks expects.
   */
  linesPerTurn?: boolean;
}

// Winston keeps level/message/timestamp on the info object itself; everything else is
// metadata that may hold secrets, so it is redacted before formatting, a secret-named field
// at the top level as well as inside.
const RESERVED = new Set(['level', 'message', 'timestamp', 'service']);

const addContextAndRedact = winston.format((info) => {
  Object.assign(info, currentLogContext(), { ...info });
  for (const key of Object.keys(info)) {
    if (RESERVED.has(key)) continue;
    info[key] = redactField(key, info[key]);
  }
  if (typeof info.message === 'string') info.message = redact(info.message) as string;
  return info;
});

// The formatted line, where winston's formats leave it (triple-beam's MESSAGE).
const MESSAGE = Symbol.for('message');

/**
 * A line whose fields are all strings, numbers, booleans or null (the attempt's lines, most
 * request lines) as JSON with its keys sorted, exactly as winston's json format writes it; any
 * other line (an error, nested fields) undefined. Winston's json format configures
 * safe-stable-stringify anew for every line and calls a replacer for every key: on a worker's
 * two lines per attempt that was the dearest part of logging.
 */
function flatJson(info: Record<string, unknown>): string | undefined {
  let line = '';
  for (const key of Object.keys(info).sort()) {
    const value = info[key];
    let text: string;
    if (typeof value === 'string') text = JSON.stringify(value);
    else if (typeof value === 'number') text = Number.isFinite(value) ? String(value) : 'null';
    else if (typeof value === 'boolean' || value === null) text = String(value);
    else if (value === undefined) continue;
    else return undefined;
    line += `${line ? ',' : '{'}${JSON.stringify(key)}:${text}`;
  }
  return line ? `${line}}` : '{}';
}

/** Winston's json format, with flat lines (flatJson) written without it. */
const jsonLine = () => {
  const json = winston.format.json();
  return winston.format((info) => {
    const line = flatJson(info);
    if (line === undefined) return json.transform(info, json.options);
    (info as Record<symbol, unknown>)[MESSAGE] = line;
    return info;
  })();
};

/**
 * The lines logged in one turn of the event loop, written to their destination together at its
 * end (process.nextTick, after the promise jobs of the turn), in the order they were logged:
 * one write (one system call, where stdout is a file or a pipe) for all the lines of the
 * attempts a group commit answered together, instead of one per line. Nothing is held across
 * a turn, so a line is out before the process next waits for I/O or a timer; a process that
 * exits in the middle of a turn (process.exit, a fatal error) writes what is left on `exit`.
 */
class TurnWriter {
  private pending = '';

  constructor(private readonly destination: NodeJS.WritableStream) {}

  write(line: string): void {
    if (this.pending === '') {
      process.nextTick(this.flush);
      unflushed.add(this);
    }
    this.pending += line;
  }

  readonly flush = (): void => {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    unflushed.delete(this);
    this.destination.write(text);
  };
}

/** Writers holding lines of the current turn; written on `exit` if the turn never ends. */
const unflushed = new Set<TurnWriter>();
let exitHook = false;
function flushOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const writer of [...unflushed]) writer.flush();
  });
}

/**
 * A winston logger writing one JSON object a line with service name and correlation ids.
 *
 * Winston's levels, child loggers and formats are kept, but not its stream pipeline: a line
 * is formatted and written to its destination in the call that logs it, instead of going
 * through the logger's Transform stream, a pipe and a transport's Writable (which also emits
 * a `logged` event on a setImmediate per line). On the worker's hot path, two lines per
 * attempt, that machinery cost more than the formatting. Lines below the level are dropped
 * before any formatting. `end()` still ends the logger (its `finish` event, after the lines), and the lines
 * reach the destination in the same order, the lines of one turn of the event loop in one
 * write at its end (TurnWriter), synchronously where stdout is (a file or a pipe on Linux).
 */
export function createLogger(options: LoggerOptions): Logger {
  const output =
    options.format === 'pretty'
      ? winston.format.printf(({ level, message, timestamp, service: _s, ...rest }) => {
          const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
          return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${extra}`;
        })
      : jsonLine();
  const level = options.level ?? 'info';
  const format = winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), addContextAndRedact(), output);
  const logger = winston.createLogger({ level, defaultMeta: { service: options.service }, format });
  const stream = options.stream ?? process.stdout;
  const destination = (options.linesPerTurn ?? !options.stream) ? new TurnWriter(stream) : stream;
  if (destination instanceof TurnWriter) flushOnExit();
  const levels = winston.config.npm.levels;
  const threshold = levels[level] ?? levels.info!;
  // Child loggers write through their parent's write, so this serves them too.
  Object.defineProperty(logger, 'write', {
    value: (info: winston.Logform.TransformableInfo) => {
      if ((levels[info.level] ?? 0) > threshold) return true;
      const formatted = format.transform(info, format.options);
      if (formatted) destination.write(`${String((formatted as Record<symbol, unknown>)[MESSAGE])}\n`);
      return true;
    },
  });
  return logger;
}
