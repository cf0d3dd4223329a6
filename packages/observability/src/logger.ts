import winston from 'winston';
import { currentLogContext } from './context';
import { redact } from './redact';

export type Logger = winston.Logger;

export interface LoggerOptions {
  service: string;
  level?: string;
  format?: 'json' | 'pretty';
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  stream?: NodeJS.WritableStream;
}

// Winston keeps level/message/timestamp on the info object itself; everything else is
// metadata that may hold secrets, so it is redacted before formatting.
const RESERVED = new Set(['level', 'message', 'timestamp', 'service']);

const addContextAndRedact = winston.format((info) => {
  Object.assign(info, currentLogContext(), { ...info });
  for (const key of Object.keys(info)) {
    if (RESERVED.has(key)) continue;
    info[key] = redact(info[key]);
  }
  if (typeof info.message === 'string') info.message = redact(info.message) as string;
  return info;
});

// Winston formats every line before its transport drops the ones below the level, so a
// debug line in a hot path would cost its timestamp, redaction and JSON even when off. This
// first format drops them before any of that.
const belowLevel = (level: string) => {
  const threshold = winston.config.npm.levels[level] ?? winston.config.npm.levels.info!;
  return winston.format((info) => ((winston.config.npm.levels[info.level] ?? 0) <= threshold ? info : false))();
};

/** A winston logger writing one JSON object a line with service name and correlation ids. */
export function createLogger(options: LoggerOptions): Logger {
  const output =
    options.format === 'pretty'
      ? winston.format.printf(({ level, message, timestamp, service: _s, ...rest }) => {
          const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
          return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${extra}`;
        })
      : winston.format.json();
  return winston.createLogger({
    level: options.level ?? 'info',
    defaultMeta: { service: options.service },
    format: winston.format.combine(
      belowLevel(options.level ?? 'info'),
      winston.format.timestamp(),
      winston.format.errors({ stack: false }),
      addContextAndRedact(),
      output,
    ),
    transports: [options.stream ? new winston.transports.Stream({ stream: options.stream }) : new winston.transports.Console()],
  });
}
