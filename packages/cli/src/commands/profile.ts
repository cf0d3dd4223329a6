import { Command } from 'commander';
import { configPath, readConfig, writeConfig } from '../config-file';
import { UsageError } from '../exit-codes';
import { maskKey } from '../mask';
import { table } from '../table';
import type { Action } from './action';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function profileCommand(action: Action): Command {
  const profile = new Command('profile').description('Keep servers and API keys in named profiles (in a file only you can read)').addHelpText(
    'after',
    `
The file is $CONVEYOR_CONFIG, else $XDG_CONFIG_HOME/conveyor/config.json, else
~/.config/conveyor/config.json, written with mode 0600 in a folder of mode 0700. A file
that others can read is refused (exit 2) until you run chmod 600 on it.
Each setting comes from the first of: the flag (--base-url, --api-key), the environment
(CONVEYOR_BASE_URL, CONVEYOR_API_KEY), the profile named by --profile or CONVEYOR_PROFILE,
the current profile (profile use).`,
  );

  profile.addCommand(
    new Command('add')
      .description('Add or replace a profile (the first one added becomes the current one)')
      .argument('<name>', 'letters, digits, dot, dash, underscore')
      .usage('<name> --base-url URL --api-key KEY [--use]')
      .option('--use', 'make it the current profile')
      .action(
        action(async (ctx, name: string, flags: { use?: boolean }) => {
          // --base-url and --api-key are the global flags, read here as the profile's values
          // (never from the environment or another profile).
          const { baseUrl, apiKey } = ctx.flags;
          if (!NAME.test(name)) throw new UsageError(`A profile name is 1 to 64 letters, digits, dots, dashes or underscores (got "${name}")`);
          if (!baseUrl || !apiKey) throw new UsageError('profile add needs both --base-url URL and --api-key KEY');
          if (!/^https?:\/\/[^/]/.test(baseUrl)) throw new UsageError(`The base URL must start with http:// or https:// (got "${baseUrl}")`);
          const file = configPath(ctx.io.env);
          const config = readConfig(file);
          const replaced = name in config.profiles;
          config.profiles[name] = { base_url: baseUrl, api_key: apiKey };
          if (flags.use || config.current === null) config.current = name;
          writeConfig(file, config);
          ctx.out.result(
            { name, base_url: baseUrl, api_key: maskKey(apiKey), current: config.current === name, file },
            (p) => `${replaced ? 'Replaced' : 'Added'} profile ${p.name} (${p.base_url})${p.current ? ', the current one' : ''} in ${p.file}`,
          );
        }),
      ),
  );

  profile.addCommand(
    new Command('list').description('List the profiles; keys are masked').action(
      action(async (ctx) => {
        const file = configPath(ctx.io.env);
        const config = readConfig(file);
        const rows = Object.entries(config.profiles).map(([name, p]) => ({
          name,
          base_url: p.base_url,
          api_key: maskKey(p.api_key),
          current: config.current === name,
        }));
        ctx.out.result({ file, profiles: rows }, (v) =>
          table(
            ['', 'NAME', 'BASE_URL', 'API_KEY'],
            v.profiles.map((p) => [p.current ? '*' : ' ', p.name, p.base_url, p.api_key]),
            `No profiles in ${v.file}; add one with: conveyor profile add NAME --base-url URL --api-key KEY`,
          ),
        );
      }),
    ),
  );

  profile.addCommand(
    new Command('use')
      .description('Make a profile the current one')
      .argument('<name>')
      .action(
        action(async (ctx, name: string) => {
          const file = configPath(ctx.io.env);
          const config = readConfig(file);
          if (!(name in config.profiles)) throw new UsageError(`No profile named "${name}" in ${file}`);
          config.current = name;
          writeConfig(file, config);
          ctx.out.result({ current: name }, () => `Now using profile ${name}`);
        }),
      ),
  );

  profile.addCommand(
    new Command('remove')
      .description('Remove a profile')
      .argument('<name>')
      .action(
        action(async (ctx, name: string) => {
          const file = configPath(ctx.io.env);
          const config = readConfig(file);
          if (!(name in config.profiles)) throw new UsageError(`No profile named "${name}" in ${file}`);
          delete config.profiles[name];
          if (config.current === name) config.current = null;
          writeConfig(file, config);
          ctx.out.result({ removed: name, current: config.current }, () => `Removed profile ${name}`);
        }),
      ),
  );
  return profile;
}
