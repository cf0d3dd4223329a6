export { BudgetedInference, type BudgetedCall, usageFields } from './budgeted-inference';
export { createBudgetedInference } from './create-budgeted-inference';
