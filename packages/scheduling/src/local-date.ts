import { YEAR_MAX, YEAR_MIN } from './limits';

const LOCAL_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** A floating Date from "YYYY-MM-DDTHH:mm[:ss]" (no offset: it is a wall time). */
export function parseLocalDateTime(text: string): Date | undefined {
  const m = LOCAL_DATETIME.exec(text);
  if (!m) return undefined;
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(+m[1]!, +m[2]! - 1, +m[3]!);
  date.setUTCHours(+m[4]!, +m[5]!, +(m[6] ?? 0), 0);
  const exact = date.getUTCFullYear() === +m[1]! && date.getUTCMonth() === +m[2]! - 1 && date.getUTCDate() === +m[3]!;
  return exact && date.getUTCHours() === +m[4]! && date.getUTCMinutes() === +m[5]! && date.getUTCSeconds() === +(m[6] ?? 0) ? date : undefined;
}

/** Why a date is outside the years a schedule may name, or undefined when it is inside. */
export function yearRangeProblem(date: Date): string | undefined {
  const year = date.getUTCFullYear();
  if (Number.isNaN(year)) return 'is not a date';
  if (year < YEAR_MIN || year > YEAR_MAX) return `year ${year} is outside ${YEAR_MIN}-${YEAR_MAX}; schedules name times in those years only`;
  return undefined;
}
