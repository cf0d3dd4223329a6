// Tiny console helpers for the stack script: no dependencies, since it runs before install.
const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code) => (text) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
export const bold = paint('1');
export const dim = paint('2');
export const red = paint('31');
export const green = paint('32');
const cyan = paint('36');

export function step(text) {
  console.log(`${cyan('›')} ${text}`);
}

export function fail(text) {
  console.error(`\n${red('✖')} ${text}\n`);
  process.exit(1);
}
