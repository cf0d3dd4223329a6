export * from './x/x-client';
export * from './x/call-limiter';
export * from './fetch';
