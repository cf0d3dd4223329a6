import { isDryRunId } from '@conveyor/integrations';
import { listMetricsSnapshots } from '@conveyor/db';
import { type PublishingHarness, publishingHarness } from './publishing-harness';

let h: PublishingHarness;
beforeAll(async () => (h = await publishingHarness({ dryRun: true })));
afterAll(() => h.close());

describe('dry run (X_DRY_RUN)', () => {
  it('publishes nothing to X, records a marked fake id, and captures zero metrics for it', async () => {
    const post = await h.queuedPost('Only pretending');
    const task = await h.task('publish_post', { post_id: post.id });
    expect(await h.run(task.id)).toEqual({ kind: 'success' });
    const published = await h.post(post.id);
    expect(published.status).toBe('published');
    expect(isDryRunId(published.x_post_id!)).toBe(true);
    expect((await h.taskRow(task.id)).result).toMatchObject({ status: 'published', dry_run: true });
    expect(await h.simPosts()).toEqual([]);
    expect((await h.control('GET', 'requests')).requests).toEqual([]);

    expect(await h.run((await h.task('capture_metrics', { post_id: post.id, stage: '1h' })).id)).toEqual({ kind: 'success' });
    expect(await listMetricsSnapshots(h.db, post.id)).toEqual([expect.objectContaining({ stage: '1h', likes: 0, impressions: null })]);
  });
});
