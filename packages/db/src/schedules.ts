// Schedules: their definitions (the API's CRUD) and their fires (the scheduler's tick).
export * from './schedules/definitions';
export * from './schedules/due';
export * from './schedules/fires';
