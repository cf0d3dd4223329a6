// Data ingestion (issue 17): records of every source and the audit trail of runs.
export * from './ingestion/records';
export * from './ingestion/runs';
