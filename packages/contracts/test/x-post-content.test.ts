import { postMediaSchema, postTextSchema } from '../src';

const messages = (result: { success: boolean; error?: { issues: { message: string }[] } }) => result.error?.issues.map((i) => i.message) ?? [];

describe("a post's text and media against X's rules", () => {
  it('takes 280 weighted characters and refuses 281, counting a URL as 23 and an emoji as 2', () => {
    expect(postTextSchema.safeParse('a'.repeat(280)).success).toBe(true);
    expect(messages(postTextSchema.safeParse('a'.repeat(281)))).toEqual([expect.stringContaining('text is 281 weighted characters; X allows 280')]);
    expect(postTextSchema.safeParse(`${'a'.repeat(256)} https://example.com/${'p'.repeat(500)}`).success).toBe(true); // 256 + 1 + 23
    expect(postTextSchema.safeParse(`${'a'.repeat(257)} https://example.com/x`).success).toBe(false);
    expect(messages(postTextSchema.safeParse('😀'.repeat(141)))).toEqual([expect.stringContaining('282 weighted characters')]);
  });

  it('refuses empty and whitespace-only text', () => {
    expect(messages(postTextSchema.safeParse('   '))).toEqual(['text must not be empty']);
    expect(postTextSchema.safeParse('').success).toBe(false);
  });

  it('takes 1-4 images or one GIF or video, and says what is wrong with anything else', () => {
    const image = { url: 'https://cdn.example.com/a.png', kind: 'image' as const };
    expect(postMediaSchema.safeParse([image, image, image, image]).success).toBe(true);
    expect(postMediaSchema.safeParse([{ url: 'https://cdn.example.com/v.mp4', kind: 'video' }]).success).toBe(true);
    expect(messages(postMediaSchema.safeParse([image, image, image, image, image]))).toContain('a post carries at most 4 media files');
    expect(messages(postMediaSchema.safeParse([image, { url: 'https://cdn.example.com/v.mp4', kind: 'video' }]))).toEqual([
      'a post carries either 1-4 images or a single GIF or video, not a mix or several',
    ]);
    expect(messages(postMediaSchema.safeParse([{ url: 'ftp://example.com/a.png', kind: 'image' }]))).toEqual(['a media url must be an http or https URL']);
    expect(messages(postMediaSchema.safeParse([{ url: 'https://example.com/a.pdf', kind: 'document' }]))).toEqual(['media kind must be image, gif or video']);
  });
});
