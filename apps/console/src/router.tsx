// The console's routes (under /console): each page is one file in pages/, its URL search is its state.
import { Outlet, createRootRoute, createRoute, createRouter, redirect } from '@tanstack/react-router';
import { Root } from './pages/Root';
import { RunsPage, parseRunsSearch } from './pages/RunsPage';
import { RunPage } from './pages/RunPage';
import { DeadLettersPage } from './pages/DeadLettersPage';
import { SchedulesPage } from './pages/SchedulesPage';
import { QueuesPage } from './pages/QueuesPage';
import { SpendPage, parseSpendSearch } from './pages/SpendPage';

const rootRoute = createRootRoute({ component: Root, notFoundComponent: () => <p className="empty">No such page in the console.</p> });
const index = createRoute({ getParentRoute: () => rootRoute, path: '/', beforeLoad: () => redirect({ to: '/runs', search: {} }), component: Outlet });
const runs = createRoute({ getParentRoute: () => rootRoute, path: '/runs', validateSearch: parseRunsSearch, component: RunsPage });
const run = createRoute({ getParentRoute: () => rootRoute, path: '/runs/$taskId', component: RunPage });
const deadLetters = createRoute({ getParentRoute: () => rootRoute, path: '/dead-letters', component: DeadLettersPage });
const schedules = createRoute({ getParentRoute: () => rootRoute, path: '/schedules', component: SchedulesPage });
const queues = createRoute({ getParentRoute: () => rootRoute, path: '/queues', component: QueuesPage });
const spend = createRoute({ getParentRoute: () => rootRoute, path: '/spend', validateSearch: parseSpendSearch, component: SpendPage });

export const router = createRouter({
  routeTree: rootRoute.addChildren([index, runs, run, deadLetters, schedules, queues, spend]),
  basepath: '/console',
  defaultPreload: false,
});

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
