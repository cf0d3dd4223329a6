/**
 * The weighted length X checks a post's text against (280), as X's twitter-text library
 * computes it (config v3): the text is NFC-normalized; a URL counts 23 whatever its length;
 * an emoji counts 2; a code point in the Latin, general-punctuation and similar ranges below
 * counts 1, any other (CJK, say) 2. A small copy of those rules rather than the twitter-text
 * package, whose core-js 2 dependency runs an install script pnpm would have to be allowed to.
 */
export const X_MAX_WEIGHTED_LENGTH = 280;
const URL_WEIGHT = 23;
const LIGHT_RANGES: [number, number][] = [
  [0, 4351],
  [8192, 8205],
  [8208, 8223],
  [8242, 8247],
];
// http(s) URLs and bare www. hosts; twitter-text also links bare domains with known TLDs.
const URL = /\bhttps?:\/\/[^\s]+|\bwww\.[^\s]+\.[a-z]{2,}[^\s]*/giu;
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

const codePointWeight = (cp: number) => (LIGHT_RANGES.some(([from, to]) => cp >= from && cp <= to) ? 1 : 2);

export function weightedLength(text: string): number {
  let length = 0;
  const rest = text.normalize('NFC').replace(URL, () => {
    length += URL_WEIGHT;
    return '';
  });
  for (const { segment } of segmenter.segment(rest)) {
    if (EMOJI.test(segment)) length += 2;
    else for (const char of segment) length += codePointWeight(char.codePointAt(0)!);
  }
  return length;
}
