// A Dockerfile read into its stages and instructions, as `docker build` reads it: comments
// dropped, `\` continuations joined, `${ARG}` and `$ARG` expanded from the build arguments
// and the ARG defaults in scope. Only what infra/docker/Dockerfile uses; the recipe test
// refuses any instruction it does not know (see image-recipe.ts).

export interface Instruction {
  /** Upper-case keyword: FROM, ARG, RUN, COPY, ... */
  op: string;
  /** The rest of the line, variables not yet expanded. */
  args: string;
  /** Line number in the Dockerfile (1-based), for messages. */
  line: number;
}

export interface Stage {
  name: string;
  /** The image or earlier stage it starts from, expanded. */
  from: string;
  instructions: Instruction[];
}

/** The instructions of a Dockerfile, in order. */
function readInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return; // a comment inside a continuation
    if (!pending) start = i + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      return;
    }
    const full = pending + line;
    pending = '';
    const op = full.split(/\s+/)[0]!;
    out.push({ op: op.toUpperCase(), args: full.slice(op.length).trim(), line: start });
  });
  return out;
}

/** `${NAME}` and `$NAME` replaced from vars (a name not in vars is left as written). */
export function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => vars[(a ?? b)!] ?? whole);
}

/** The stages of a Dockerfile; ARGs before the first FROM are global defaults. */
export function readStages(text: string, buildArgs: Record<string, string>): { stages: Stage[]; globalArgs: Record<string, string> } {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of readInstructions(text)) {
    if (instruction.op === 'FROM') {
      const [image, as, name] = instruction.args.split(/\s+/);
      if (as?.toUpperCase() !== 'AS' || !name) throw new Error(`Dockerfile line ${instruction.line}: every stage needs a name (FROM <image> AS <name>)`);
      stages.push({ name, from: expand(image!, { ...globalArgs, ...buildArgs }), instructions: [] });
    } else if (!stages.length) {
      if (instruction.op !== 'ARG') throw new Error(`Dockerfile line ${instruction.line}: ${instruction.op} before the first FROM`);
      const [name, value = ''] = instruction.args.split('=');
      globalArgs[name!] = value;
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { stages, globalArgs };
}

/** A JSON-array (exec form) argument such as `["node", "main.js"]`, after any `--flag=value` options. */
export function execForm(args: string): { options: string[]; argv: string[] } {
  const at = args.indexOf('[');
  if (at < 0) throw new Error(`not in exec form (a JSON array): ${args}`);
  return { options: args.slice(0, at).trim().split(/\s+/).filter(Boolean), argv: JSON.parse(args.slice(at)) as string[] };
}
