/** Every BullMQ queue; each has exactly one worker app. */
export const QUEUE_NAMES = ['scraping', 'analysis', 'generation', 'monitoring', 'publishing'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
