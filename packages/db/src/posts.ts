// X accounts, posts, the publish state machine and metrics snapshots (issue 16).
export * from './posts/transitions';
export * from './posts/write-result';
export * from './posts/accounts';
export * from './posts/posts';
export * from './posts/transition-post';
export * from './posts/snapshots';
export * from './posts/post-schedules';
export * from './posts/publishing';
