import type { ChatMessage } from '@conveyor/inference';

// The prompts of the generation tasks. What the user wrote is always its own message.

const PLATFORM_RULES: Record<'x' | 'linkedin' | 'blog', string> = {
  x: 'a post for X: at most 280 characters, one idea, no hashtags unless asked',
  linkedin: 'a LinkedIn post: 100 to 250 words, short paragraphs, a clear first line',
  blog: 'a blog post introduction: 150 to 300 words with a working title on the first line',
};

export function draftPrompt(brief: string, tone: string, platform: keyof typeof PLATFORM_RULES): ChatMessage[] {
  return [
    {
      role: 'system',
      content: `You are a ghostwriter. Write ${PLATFORM_RULES[platform]}, in a ${tone} tone, from the brief the user gives. Reply with the draft only.`,
    },
    { role: 'user', content: brief },
  ];
}

export const CHAT_SYSTEM_PROMPT =
  'You are the assistant of a content team: you help plan, write and improve social media posts. Answer concisely; ask one question when a request is ambiguous.';
