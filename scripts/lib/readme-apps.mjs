// The README's apps table, generated from the app registry between two markers.
const BEGIN = '<!-- apps table: generated from packages/config/src/apps.json by `node scripts/readme-apps.mjs`; edit the registry, not the table -->';
const END = '<!-- end of apps table -->';

/** The Markdown table of these registry apps (entries of apps.json). */
function renderAppsTable(apps) {
  const rows = apps.map((app) => `| \`apps/${app.name}\` | ${app.description} | \`${app.portVariable}\` ${app.defaultPort} |`);
  return ['| app | what it does | port (default) |', '|---|---|---|', ...rows].join('\n');
}

/** The README text with the table between the markers replaced; throws when the markers are missing. */
export function withAppsTable(readme, apps) {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`the README has no apps table markers (${BEGIN} … ${END})`);
  return `${readme.slice(0, begin)}${BEGIN}\n${renderAppsTable(apps)}\n${readme.slice(end)}`;
}
