import { redact } from './mask';

/**
 * Where a command writes: results on stdout (JSON with --json, text without), everything
 * else (progress, notes, errors) on stderr, so `--json` output always parses. Every line
 * passes through redact(), so an API key never reaches the terminal or a log.
 */
export class Output {
  constructor(
    readonly json: boolean,
    readonly stdout: NodeJS.WritableStream & { isTTY?: boolean },
    readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    /** Shared by every Output of one run, so an error printed at the end hides what a command learnt. */
    private readonly secrets: string[] = [],
  ) {}

  /** Never print this value. */
  hide(secret: string): void {
    this.secrets.push(secret);
  }

  /** The command's result: `value` as JSON with --json, else the text `human` makes of it. */
  result<T>(value: T, human: (value: T) => string): void {
    const text = this.json ? JSON.stringify(value, null, 2) : human(value);
    if (text !== '') this.stdout.write(`${this.clean(text)}\n`);
  }

  /** One JSON value per line (JSON Lines), for streams of events with --json. */
  jsonLine(value: unknown): void {
    this.stdout.write(`${this.clean(JSON.stringify(value))}\n`);
  }

  /** A line for the person watching: on stderr, never mixed with the result. */
  note(text: string): void {
    this.stderr.write(`${this.clean(text)}\n`);
  }

  /** Raw text to stderr (the progress bar draws over its own line). */
  draw(text: string): void {
    this.stderr.write(this.clean(text));
  }

  clean(text: string): string {
    return redact(text, this.secrets);
  }
}
