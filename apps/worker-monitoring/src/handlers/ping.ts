import type { TaskHandler } from '@conveyor/queue';

/** Proves the monitoring worker takes and finishes work. */
export const ping: TaskHandler<'ping'> = async () => 'pong';
