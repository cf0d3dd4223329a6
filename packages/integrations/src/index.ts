export * from './x/x-client';
