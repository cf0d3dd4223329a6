// Chat-driven dataset transformations (issue 18): sessions, the versions of their data and
// those versions' rows, and their chat.
export * from './datasets/sessions';
export * from './datasets/nodes';
export * from './datasets/chunks';
export * from './datasets/messages';
export { type DatasetRow, isMissing } from './datasets/chunk-writer';
