import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, Outlet } from '@tanstack/react-router';
import { notSession, useSignOut, useTenants } from '../api/hooks';
import { actingTenant } from '../api/http';
import type { ConsoleSession } from '@conveyor/client';
import { ErrorNote } from './ErrorNote';

const PAGES = [
  { to: '/runs', label: 'Runs' },
  { to: '/dead-letters', label: 'Dead letters' },
  { to: '/schedules', label: 'Schedules' },
  { to: '/queues', label: 'Queues & workers' },
  { to: '/spend', label: 'Spend' },
] as const;

export function Layout({ session }: { session: ConsoleSession }) {
  const signOut = useSignOut();
  const { principal } = session;
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Conveyor</span>
        <nav>
          {PAGES.map((page) => (
            <Link key={page.to} to={page.to} activeProps={{ className: 'active' }}>
              {page.label}
            </Link>
          ))}
        </nav>
        <span className="who">
          {principal.kind === 'admin' ? <TenantSwitcher /> : <span data-testid="tenant-name">{principal.tenant_name ?? principal.tenant_id}</span>}
          {principal.plan && <span className="plan">{principal.plan}</span>}
          <button type="button" onClick={() => signOut.mutate()}>
            Sign out
          </button>
        </span>
      </header>
      <main>
        <Outlet />
      </main>
    </div>
  );
}

/** An admin picks the tenant it acts for (X-Conveyor-Tenant), or none for the all-tenants views. */
function TenantSwitcher() {
  const tenants = useTenants(true);
  const client = useQueryClient();
  const [current, setCurrent] = useState(actingTenant.get() ?? '');
  if (tenants.error) return <ErrorNote error={tenants.error} />;
  return (
    <label className="tenant-switcher">
      admin, acting for{' '}
      <select
        aria-label="tenant"
        value={current}
        onChange={(event) => {
          actingTenant.set(event.target.value || null);
          setCurrent(event.target.value);
          void client.resetQueries({ predicate: notSession });
        }}
      >
        <option value="">no tenant (admin views)</option>
        {(tenants.data?.tenants ?? []).map((tenant) => (
          <option key={tenant.tenant_id} value={tenant.tenant_id}>
            {tenant.name} ({tenant.plan})
          </option>
        ))}
      </select>
    </label>
  );
}
