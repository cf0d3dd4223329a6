export * from './rows';
export { DatasetFormatError, ProgramError } from './errors';
export { MAX_CELL_CHARS } from './limits';
export { readUpload, type UploadLimits } from './upload/read-upload';
export type { UploadReader, UploadSummary } from './upload/upload-reader';
export { coerceRow } from './coerce-row';
export { castValue, UNREADABLE, textOf } from './cast-value';
export { checkProgram } from './program/check-program';
