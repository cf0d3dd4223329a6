export { BudgetedInference, type BudgetedCall } from './budgeted-inference';
export { createBudgetedInference } from './create-budgeted-inference';
