import type { Command } from 'commander';
import { Context, type Io } from '../context';

/* eslint-disable @typescript-eslint/no-explicit-any -- commander hands each action its own arguments */
/** Wraps a command's body: it gets a Context first, then commander's arguments and flags. */
export type Action = (body: (ctx: Context, ...args: any[]) => Promise<void>) => (...args: any[]) => Promise<void>;

export function actionFor(io: Io): Action {
  return (body) =>
    async (...args) => {
      // commander passes the arguments, then the command's flags, then the command itself.
      const command = args[args.length - 1] as Command;
      await body(new Context(command, io), ...args.slice(0, -1));
    };
}
