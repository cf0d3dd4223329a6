import { TASK_NAMES } from '@conveyor/contracts';
import { type DeadLetterRow, listDeadLetters } from '@conveyor/db';
import express, { type Request, Router } from 'express';
import { z } from 'zod';
import { HttpError, validationError } from '../http-error';
import { authenticate } from '../middleware/authenticate';
import { requireAdmin } from '../middleware/require-admin';
import { parseQuery } from '../query';
import type { AuthFailures } from '../middleware/auth-failures';
import type { ConsoleSessions } from '../console-sessions';
import type { PrincipalCache } from '../principal-cache';
import { type ReplayDeps, replayAndEnqueue } from '../replay-dead-letters';

export const DEAD_LETTERS_PAGE_PATH = '/admin/dead-letters';
const PAGE_SIZE = 200;

const pageQuerySchema = z
  .object({
    task: z.enum(TASK_NAMES as [string, ...string[]]).optional(),
    replayed: z.coerce.number().int().min(0).optional(),
    enqueued: z.enum(['0', '1']).optional(),
  })
  .strict();

/** The page's only script, served as a file: the Content-Security-Policy allows no inline script. */
const PAGE_SCRIPT = `document.querySelectorAll('form[data-confirm]').forEach((form) => {
  form.addEventListener('submit', (event) => { if (!window.confirm(form.dataset.confirm)) event.preventDefault(); });
});
`;

const replayFormSchema = z.union([
  z.object({ task_id: z.uuid({ error: 'task_id must be a task id (UUID)' }) }).strict(),
  z.object({ all: z.literal('1'), task: z.enum(TASK_NAMES as [string, ...string[]]).optional() }).strict(),
]);

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function originOf(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A browser form posted with Basic auth carries the credentials whatever site sent it, so a
 * replay is accepted only from this page's own origin (Origin, or Referer when a browser
 * leaves Origin out).
 */
function assertSameOrigin(req: Request): void {
  const own = `${req.protocol}://${req.get('host')}`;
  const origin = req.get('origin') ?? originOf(req.get('referer'));
  if (origin !== own)
    throw new HttpError(
      403,
      'cross_origin',
      'Replays from this page must come from the page itself; scripts use POST /api/v1/admin/dead-letters/replay with a Bearer key',
    );
}

function renderPage(rows: DeadLetterRow[], query: z.infer<typeof pageQuerySchema>, more: boolean): string {
  const filter = query.task ? ` of ${escapeHtml(query.task)}` : '';
  const notice =
    query.replayed === undefined
      ? ''
      : `<p class="notice">Replayed ${query.replayed} task(s)${query.enqueued === '0' ? '; Redis could not take them now, so the reconciler will enqueue them' : ''}.</p>`;
  const errorOf = (error: unknown) => {
    const e = (error ?? {}) as { type?: unknown; message?: unknown };
    return `<strong>${escapeHtml(String(e.type ?? 'Error'))}</strong> ${escapeHtml(String(e.message ?? ''))}`;
  };
  const body = rows
    .map(
      (r) => `<tr>
  <td><code>${escapeHtml(r.task_id)}</code></td><td>${escapeHtml(r.task)}</td><td><code>${escapeHtml(r.tenant_id)}</code></td>
  <td>${escapeHtml(r.failed_at.toISOString())}</td><td>${r.attempts}</td>
  <td>${errorOf(r.error)}</td>
  <td><form method="post" action="${DEAD_LETTERS_PAGE_PATH}/replay"><input type="hidden" name="task_id" value="${escapeHtml(r.task_id)}"><button>Replay</button></form></td>
</tr>`,
    )
    .join('\n');
  const options = ['', ...TASK_NAMES].map((t) => `<option value="${t}"${t === (query.task ?? '') ? ' selected' : ''}>${t || 'every task'}</option>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Conveyor dead letters</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}.notice{background:#eef8ee;padding:.6em}form{display:inline}</style></head>
<body><h1>Dead letters${filter}</h1>
<p>Tasks that failed for good. Replaying one puts it back to PENDING with a fresh set of attempts. <a href="/admin/queues">Queues</a></p>
${notice}
<form method="get" action="${DEAD_LETTERS_PAGE_PATH}"><select name="task">${options}</select> <button>Show</button></form>
<form method="post" action="${DEAD_LETTERS_PAGE_PATH}/replay" data-confirm="Replay every dead letter${filter}?"><input type="hidden" name="all" value="1">${query.task ? `<input type="hidden" name="task" value="${escapeHtml(query.task)}">` : ''}<button>Replay all${filter}</button></form>
<table><thead><tr><th>task id</th><th>task</th><th>tenant</th><th>failed at (UTC)</th><th>attempts</th><th>last error</th><th></th></tr></thead>
<tbody>
${body || '<tr><td colspan="7">None.</td></tr>'}
</tbody></table>
${more ? `<p>Showing the newest ${PAGE_SIZE}; GET /api/v1/admin/dead-letters pages through all of them.</p>` : ''}
<script src="${DEAD_LETTERS_PAGE_PATH}/page.js"></script>
</body></html>`;
}

/**
 * The dead letters as a page of the admin dashboard, beside the queues (/admin/queues): list
 * them, replay one, or replay all (of one task type). Same sign-in as the queue dashboard
 * (HTTP Basic, the admin key as password). Replays go through the same code as the API's.
 */
export function deadLettersPageRouter(deps: ReplayDeps & { principals: PrincipalCache; failures?: AuthFailures; sessions?: ConsoleSessions }): Router {
  const router = Router();
  router.use(authenticate(deps.principals, { basicRealm: 'Conveyor admin', failures: deps.failures, sessions: deps.sessions }), requireAdmin);

  router.get('/page.js', (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'no-cache').send(PAGE_SCRIPT);
  });

  router.get('/', async (req, res) => {
    const query = parseQuery(req, pageQuerySchema);
    const page = await listDeadLetters(deps.db, { task: query.task, limit: PAGE_SIZE });
    res
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(renderPage(page.rows, query, page.next !== undefined));
  });

  router.post('/replay', express.urlencoded({ extended: false, limit: '10kb' }), async (req, res) => {
    assertSameOrigin(req);
    const form = replayFormSchema.safeParse(req.body ?? {});
    if (!form.success) throw validationError(form.error, 'replay form (a task_id, or all=1 with an optional task)');
    const filter = 'task_id' in form.data ? { taskIds: [form.data.task_id] } : { task: form.data.task };
    const { taskIds, enqueued } = await replayAndEnqueue(deps, filter);
    const back = new URLSearchParams({
      replayed: String(taskIds.length),
      enqueued: enqueued ? '1' : '0',
      ...('task' in form.data && form.data.task ? { task: form.data.task } : {}),
    });
    res.redirect(303, `${DEAD_LETTERS_PAGE_PATH}?${back.toString()}`);
  });

  return router;
}
