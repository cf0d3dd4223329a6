// Data ingestion (issue 17): records of every source, the audit trail of runs, and each source's state.
export * from './ingestion/records';
export * from './ingestion/record-listing';
export * from './ingestion/runs';
export * from './ingestion/sources';
export * from './ingestion/default-sources';
