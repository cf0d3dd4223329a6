import { NO_MIGRATIONS, type NoMigrations } from 'kysely';

/** Where a migration run should leave the schema: a migration's full name, or back `down` steps. */
export type MigrationRequest = { kind: 'latest' } | { kind: 'to'; name: string } | { kind: 'down'; steps: number };

/** What a run will do: the migrations it applies (oldest first) or reverts (newest first). */
export interface MigrationPlan {
  direction: 'up' | 'down' | 'none';
  migrations: string[];
  /** What to pass to Kysely's migrateTo: the last migration to keep applied, or NO_MIGRATIONS. */
  target: string | NoMigrations;
}

/** A request this build cannot carry out; nothing was changed. */
export class MigrationRequestError extends Error {}

/**
 * Plans a run from the migrations this build knows and those the database has applied (both in
 * order). Pure, so the CLI can show it before asking for confirmation and the run can plan again
 * under the migration lock.
 */
export function planMigration(known: string[], applied: string[], request: MigrationRequest): MigrationPlan {
  const pending = known.filter((name) => !applied.includes(name));
  if (request.kind === 'latest') return plan('up', pending, known.at(-1) ?? NO_MIGRATIONS);
  if (request.kind === 'down') {
    if (request.steps > applied.length) {
      throw new MigrationRequestError(
        `cannot roll back ${request.steps} migration${request.steps === 1 ? '' : 's'}: only ${applied.length} ${applied.length === 1 ? 'is' : 'are'} applied` +
          (applied.length ? ` (the newest: ${applied.at(-1)})` : ''),
      );
    }
    const kept = applied.length - request.steps;
    return plan('down', applied.slice(kept).reverse(), kept === 0 ? NO_MIGRATIONS : applied[kept - 1]!);
  }
  if (!known.includes(request.name)) throw new MigrationRequestError(unknownMigrationMessage(request.name, known));
  const appliedAt = applied.indexOf(request.name);
  if (appliedAt !== -1) return plan('down', applied.slice(appliedAt + 1).reverse(), request.name);
  return plan('up', pending.slice(0, pending.indexOf(request.name) + 1), request.name);
}

function plan(direction: 'up' | 'down', migrations: string[], target: string | NoMigrations): MigrationPlan {
  return { direction: migrations.length ? direction : 'none', migrations, target };
}

/** Names the migrations closest to an unknown name (by edit distance), then every known one. */
export function unknownMigrationMessage(name: string, known: string[]): string {
  // A name that contains what was given (its number, say) comes first, then the closest spellings.
  const distance = (candidate: string) => (candidate.includes(name) ? 0 : 1000) + editDistance(name, candidate);
  const nearest = [...known].sort((a, b) => distance(a) - distance(b)).slice(0, 3);
  return [
    `no migration named "${name}" (give a migration's full name)`,
    nearest.length ? `nearest: ${nearest.join(', ')}` : 'this build knows no migrations',
    ...(known.length ? ['known migrations, oldest first:', ...known.map((n) => `  ${n}`)] : []),
  ].join('\n');
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
