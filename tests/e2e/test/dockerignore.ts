// A .dockerignore read as Docker reads it: one pattern a line, relative to the build context;
// `*` and `?` within a name, `**` any number of folders; `!` takes a path back; the last
// pattern that matches decides; excluding a folder excludes what it holds.

function toRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      out += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** For a .dockerignore's text: the pattern that leaves a context-relative path out, or undefined when it is in. */
export function readDockerignore(text: string): (relativePath: string) => string | undefined {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const pattern = (negated ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      return { line: l, negated, re: toRegExp(pattern) };
    });
  return (relativePath) => {
    const parts = relativePath.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excludedBy: string | undefined;
    for (const rule of rules) {
      if (candidates.some((c) => rule.re.test(c))) excludedBy = rule.negated ? undefined : rule.line;
    }
    return excludedBy;
  };
}
