import type { AppStack } from '@conveyor/testkit';

// Stops the stack stack-setup.ts started.
export default async function teardown(): Promise<void> {
  await (globalThis as { cliStack?: { stack: AppStack } }).cliStack?.stack.stop();
}
