// How text reads as a typed value: shared by upload inference, coerceRow and cast.

const INTEGER_TEXT = /^-?(?:0|[1-9]\d*)$/;
const NUMBER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * The safe integer this text is written as, or undefined: an optional minus and digits with
 * no leading zero ("007" is not one: it is an identifier, kept as text).
 */
export function integerOfText(text: string): number | undefined {
  if (!INTEGER_TEXT.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** The finite number this text is written as (decimal, optional fraction and exponent, no leading zero), or undefined. */
export function numberOfText(text: string): number | undefined {
  if (!NUMBER_TEXT.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** true or false, in any case, or undefined. */
export function booleanOfText(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  return undefined;
}
