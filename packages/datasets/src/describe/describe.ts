import type { Program } from '@conveyor/contracts';
import type { StepSummary } from '../run/tracked-row';

/** Whether the counts cover the whole input (not so when a limit stopped reading early and the input's size is unknown). */
export interface DescribeContext {
  complete: boolean;
}

/** What a program did, as a sentence. (Placeholder: the steps' names.) */
export function describeTransformation(program: Program, _steps: StepSummary[], _context: DescribeContext): string {
  return program.steps.map((step) => step.op).join('; then ');
}
