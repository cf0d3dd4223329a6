/** The longest text one cell may hold, in characters. */
export const MAX_CELL_CHARS = 100_000;
