/**
 * An upload Conveyor cannot read as a dataset: the API answers `status` (400, or 413 when it is
 * too large) with the message, which says what is wrong and, when it can, on which line.
 */
export class DatasetFormatError extends Error {
  override name = 'DatasetFormatError';

  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** A program that does not fit the dataset's columns: each problem names the step and what to do. */
export class ProgramError extends Error {
  override name = 'ProgramError';

  constructor(readonly problems: string[]) {
    super(`the transformation cannot run: ${problems.join('; ')}`);
  }
}
