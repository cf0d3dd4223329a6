export * from './queues';
export * from './task-status';
export * from './define-task';
export * from './policies';
export * from './catalog';
export * from './api';
export * from './job-data';
export * from './task-event';
export { ping, testTask } from './tasks/monitoring';
