import fs from 'node:fs';
import path from 'node:path';
import { POST_STATUSES, POST_TRANSITIONS, type PostStatus } from '../src';

// The publish state machine is named in two READMEs (the root one for users, this package's
// with what each move writes); both must say what POST_TRANSITIONS does.

/** Each table row's first two cells: `state` → the states it "may move to". */
function movesInTable(file: string): Record<string, string[]> {
  const text = fs.readFileSync(path.resolve(__dirname, file), 'utf8');
  const moves: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const from = /^`([a-z]+)`$/.exec(cells[1] ?? '')?.[1];
    if (!from || !(POST_STATUSES as readonly string[]).includes(from)) continue;
    moves[from] = [...(cells[2] ?? '').matchAll(/`([a-z]+)`/g)].map((m) => m[1]!);
  }
  return moves;
}

const expected = Object.fromEntries(POST_STATUSES.map((s: PostStatus) => [s, [...POST_TRANSITIONS[s]]]));

describe('the publish state machine as the READMEs name it', () => {
  it.each(['../../../README.md', '../README.md'])('%s lists exactly the allowed moves from every state', (file) => {
    expect(movesInTable(file)).toEqual(expected);
  });
});
