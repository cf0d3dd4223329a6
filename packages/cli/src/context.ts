import type { Conveyor } from '@conveyor/client';
import type { Command } from 'commander';
import { type ConnectionFlags, connect, resolveConnection } from './connection';
import { Output } from './output';

/** What the process gives the CLI: its streams and environment (tests run the real binary). */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  /** Values never to print (API keys), filled as they become known. */
  secrets: string[];
}

export interface GlobalFlags extends ConnectionFlags {
  json?: boolean;
}

/** What a command's action works with: the output, the global flags, and a client made on first use. */
export class Context {
  readonly out: Output;
  readonly flags: GlobalFlags;
  private client: Conveyor | undefined;

  constructor(
    command: Command,
    readonly io: Io,
  ) {
    this.flags = command.optsWithGlobals<GlobalFlags>();
    this.out = new Output(this.flags.json === true, io.stdout, io.stderr, io.secrets);
    if (this.flags.apiKey) this.out.hide(this.flags.apiKey);
  }

  conveyor(): Conveyor {
    if (!this.client) {
      const connection = resolveConnection(this.flags, this.io.env);
      this.out.hide(connection.apiKey);
      this.client = connect(connection);
    }
    return this.client;
  }
}
