import { X_SIM, portOf } from './apps.mjs';

/**
 * The variable npm start puts the simulator's development token in. Named like every account's
 * token variable (X_TOKEN_<ACCOUNT>, as in env:X_TOKEN_ACME), so that it reads as one of them.
 */
const DEV_TOKEN_VARIABLE = 'X_TOKEN_DEV';

/** The handles of X_SIM_ACCOUNTS, or undefined when it is not JSON of that form (the simulator then refuses it, saying why). */
function simAccounts(text) {
  try {
    const accounts = JSON.parse(text);
    return Array.isArray(accounts) ? accounts.map((a) => `@${a.username} (${a.tier})`) : undefined;
  } catch {
    return undefined;
  }
}

/** X_DRY_RUN as the publishing worker reads it (xApiEnvSchema): unset follows NODE_ENV, on in development only. */
const isDryRun = (env) => (env.X_DRY_RUN ? env.X_DRY_RUN === 'true' : env.NODE_ENV === 'development');

/**
 * What npm start does about X, from its environment, before anything starts.
 *
 * - No X_API_BASE_URL: X calls go to the X API simulator (on X_SIM_PORT). The publishing worker (and
 *   no other app) gets its address, X_DRY_RUN=false unless X_DRY_RUN is set (development's
 *   default dry run would send nothing even to the simulator) and the development account's
 *   token in X_TOKEN_DEV, so that the account registers with `token_secret_ref: env:X_TOKEN_DEV`.
 *   With X_SIM_ACCOUNTS, those accounts replace the development one: their tokens are the
 *   user's to put in variables.
 * - X_API_BASE_URL set: nothing is added; the summary says whether posts are sent or dry run.
 *
 * Returns the publishing worker's variables (publishingEnv), whether it will run dry, the step
 * line to print as the simulator starts, the summary's [label, text] lines, and the account to
 * register, if known.
 */
export function xApiPlan(env) {
  if (env.X_API_BASE_URL) {
    const dryRun = isDryRun(env);
    const how = dryRun
      ? 'dry run: nothing is sent, posts get dryrun-… ids (X_DRY_RUN=false to publish)'
      : 'publishing for real: posts go out on X (X_DRY_RUN=true for a dry run)';
    return {
      simulated: false,
      publishingEnv: {},
      dryRun,
      lines: [
        ['X API', `${env.X_API_BASE_URL}, ${how}`],
        ['X accounts', 'register each with token_secret_ref env:X_TOKEN_<NAME>, the variable (in .env) holding its token'],
      ],
    };
  }
  const simUrl = `http://127.0.0.1:${portOf(X_SIM, env)}`;
  const publishingEnv = { X_API_BASE_URL: simUrl, X_DRY_RUN: env.X_DRY_RUN || 'false' };
  const dryRun = isDryRun({ ...env, ...publishingEnv });
  const sending = dryRun ? 'dry run (X_DRY_RUN=true): nothing is sent to it' : 'posts are sent to it (X_DRY_RUN=false)';
  const lines = [['X API', `the local X API simulator (${simUrl}), ${sending}; set X_API_BASE_URL for X`]];
  let account;
  if (env.X_SIM_ACCOUNTS) {
    const handles = simAccounts(env.X_SIM_ACCOUNTS);
    lines.push([
      'X accounts',
      `${handles ? handles.join(', ') : 'those'} of X_SIM_ACCOUNTS: put each token in a variable (X_TOKEN_<NAME> in .env) and register the account with token_secret_ref env:X_TOKEN_<NAME>`,
    ]);
  } else {
    publishingEnv[DEV_TOKEN_VARIABLE] = X_SIM.devToken;
    account = { handle: X_SIM.devAccount.username, api_tier: X_SIM.devAccount.tier, token_secret_ref: `env:${DEV_TOKEN_VARIABLE}` };
    lines.push([
      'X account',
      `handle ${account.handle}, api_tier ${account.api_tier}, token_secret_ref ${account.token_secret_ref}   (the simulator's; worker-publishing has its token in ${DEV_TOKEN_VARIABLE})`,
    ]);
  }
  return {
    simulated: true,
    publishingEnv,
    dryRun,
    step: `no X_API_BASE_URL: X calls go to the local X API simulator at ${simUrl}, ${sending}`,
    lines,
    account,
  };
}
