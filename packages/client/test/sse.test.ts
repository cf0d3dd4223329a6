import { SseParser } from '../src/sse';

const STREAM = 'retry: 3000\r\n: keep-alive\r\n\r\nid: 7\nevent: state\ndata: {"a":1}\n\nevent: end\rdata: line one\rdata: line two\r\rdata:no space\n\n';

/** Every event of the text, fed in pieces cut at the given places. */
function parse(text: string, cuts: number[]): ReturnType<SseParser['push']> {
  const parser = new SseParser();
  const out = [];
  let start = 0;
  for (const cut of [...cuts, text.length]) {
    out.push(...parser.push(text.slice(start, cut)));
    start = cut;
  }
  return out;
}

describe('SseParser', () => {
  const expected = [
    { event: 'state', data: '{"a":1}', id: '7' },
    { event: 'end', data: 'line one\nline two', id: '7' },
    { event: 'message', data: 'no space', id: '7' },
  ];

  it('reads events with CRLF, LF and CR line ends, comments, multi-line data and an id that carries over', () => {
    expect(parse(STREAM, [])).toEqual(expected);
  });

  it('reads the same events however the text is cut, inside a CRLF too', () => {
    for (let cut = 1; cut < STREAM.length; cut += 1) expect(parse(STREAM, [cut])).toEqual(expected);
    expect(
      parse(
        STREAM,
        Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(expected);
  });

  it('keeps the retry the server asked for, and the Last-Event-ID it resumed from', () => {
    const parser = new SseParser('41');
    expect(parser.push('retry: 1500\nevent: state\ndata: x\n\n')).toEqual([{ event: 'state', data: 'x', id: '41' }]);
    expect(parser.retryMs).toBe(1500);
  });

  it('dispatches nothing for an event without data, or an unfinished one', () => {
    expect(parse('event: state\n\nid: 3\n\nevent: state\ndata: half', [])).toEqual([]);
  });
});
