import type { QueueHandlers } from '@conveyor/queue';
import { ping } from './ping';
import { testTask } from './test-task';

export const handlers: QueueHandlers<'monitoring'> = { ping, test_task: testTask };
