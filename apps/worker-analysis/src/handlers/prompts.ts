import { ARCHETYPES } from '@conveyor/contracts';
import type { ChatMessage } from '@conveyor/inference';

// The prompts of the analysis tasks. Post text is always sent as the user's message and
// never spliced into the instructions, so a post cannot rewrite them.

export function classifyPrompt(text: string): ChatMessage[] {
  return [
    {
      role: 'system',
      content:
        `You classify social media posts by content archetype. The archetypes are: ${ARCHETYPES.join(', ')}. ` +
        'A story narrates events; a lesson draws a takeaway; a list enumerates items; an opinion argues a stance; ' +
        'a question asks the audience; an announcement shares news; a how_to gives steps; a case_study reports results. ' +
        'Reply with JSON: {"archetype": one of the archetypes, "confidence": a number from 0 to 1}.',
    },
    { role: 'user', content: text },
  ];
}

export function scorePrompt(text: string, criteria: string[]): ChatMessage[] {
  return [
    {
      role: 'system',
      content:
        `You are an editor scoring social media posts from 0 (poor) to 100 (excellent) on: ${criteria.join(', ')}. ` +
        'Weigh the criteria equally. Reply with JSON: {"score": number, "reasons": [one short sentence per criterion]}.',
    },
    { role: 'user', content: text },
  ];
}

export function patternsPrompt(posts: string[]): ChatMessage[] {
  return [
    {
      role: 'system',
      content:
        'You analyse a set of social media posts and name the patterns that recur across them: structure, hooks, ' +
        'themes, calls to action. Report only patterns seen in at least two posts. Reply with JSON: ' +
        '{"patterns": [{"name": short label, "description": one sentence, "example": a quote from a post}]}.',
    },
    { role: 'user', content: posts.map((post, i) => `Post ${i + 1}:\n${post}`).join('\n\n---\n\n') },
  ];
}
