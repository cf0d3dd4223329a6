import { getRouteApi } from '@tanstack/react-router';
import { useMemo } from 'react';
import { useUsage, useUsagePeriods } from '../api/hooks';
import type { UsageGroup, UsageGroupBy } from '@conveyor/client';
import { Chart } from '../components/Chart';
import { ErrorNote } from '../components/ErrorNote';
import { formatCount, formatUsd } from '../format';

export interface SpendSearch {
  period?: string;
}

export function parseSpendSearch(search: Record<string, unknown>): SpendSearch {
  return typeof search.period === 'string' && search.period !== '' ? { period: search.period } : {};
}

const route = getRouteApi('/spend');

export function SpendPage() {
  const period = route.useSearch().period ?? 'current';
  const days = useUsage('day', period);
  const usage = days.data;
  const share = usage?.cap_usd ? Math.min(100, (usage.spent_usd / usage.cap_usd) * 100) : 0;
  return (
    <section>
      <h1>Spend {period === 'current' ? 'this period' : `for the period of ${period}`}</h1>
      <ErrorNote error={days.error} />
      {usage && (
        <div className="spend-summary">
          <div className="meter" role="meter" aria-valuenow={usage.spent_usd} aria-valuemax={usage.cap_usd} aria-label="spent against cap">
            <div className="bar" style={{ width: `${share}%` }} />
          </div>
          <p>
            <strong data-testid="spent">{formatUsd(usage.spent_usd)}</strong> spent of a {formatUsd(usage.cap_usd)} cap, {formatUsd(usage.reserved_usd)}{' '}
            reserved by running calls · {usage.period_start.slice(0, 10)} to {usage.period_end.slice(0, 10)}
          </p>
          <DayChart groups={usage.groups ?? []} periodStart={usage.period_start} periodEnd={usage.period_end} />
        </div>
      )}
      <div className="columns three">
        <Breakdown title="By task" groupBy="task" period={period} />
        <Breakdown title="By model" groupBy="model" period={period} />
        <Breakdown title="By campaign" groupBy="campaign" period={period} />
      </div>
      <PastPeriods current={period} />
    </section>
  );
}

const DAY_S = 86_400;
const usdAxis = (value: number) => formatUsd(value);

function DayChart({ groups, periodStart, periodEnd }: { groups: UsageGroup[]; periodStart: string; periodEnd: string }) {
  // Every day of the period on the axis, each at noon so its bar sits inside its day.
  const { x, series, range } = useMemo(
    () => ({
      x: groups.map((g) => Date.parse(`${g.key}T12:00:00Z`) / 1000),
      series: [{ label: 'cost (USD)', values: groups.map((g) => g.cost_usd), color: '#3b6ea8' }],
      range: [Date.parse(periodStart) / 1000, Math.max(Date.parse(periodEnd) / 1000, Date.parse(periodStart) / 1000 + DAY_S)] as [number, number],
    }),
    [groups, periodStart, periodEnd],
  );
  if (groups.length === 0) return <p className="empty">No spend by day in this period.</p>;
  return (
    <>
      <Chart title="Cost by day (USD)" x={x} series={series} kind="bars" xRange={range} yFormat={usdAxis} />
      <table className="grid by-day">
        <tbody>
          {groups.map((g) => (
            <tr key={g.key}>
              <td className="mono">{g.key}</td>
              <td>{formatUsd(g.cost_usd)}</td>
              <td>{formatCount(g.calls)} calls</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Breakdown({ title, groupBy, period }: { title: string; groupBy: UsageGroupBy; period: string }) {
  const usage = useUsage(groupBy, period);
  return (
    <div>
      <h2>{title}</h2>
      <ErrorNote error={usage.error} />
      <table className={`grid by-${groupBy}`}>
        <thead>
          <tr>
            <th>{groupBy}</th>
            <th>Cost</th>
            <th>Calls</th>
            <th>Prompt tokens</th>
            <th>Completion tokens</th>
          </tr>
        </thead>
        <tbody>
          {(usage.data?.groups ?? []).map((g) => (
            <tr key={g.key}>
              <td className={groupBy === 'campaign' ? 'mono' : ''}>{g.key}</td>
              <td>{formatUsd(g.cost_usd)}</td>
              <td>{formatCount(g.calls)}</td>
              <td>{formatCount(g.prompt_tokens)}</td>
              <td>{formatCount(g.completion_tokens)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PastPeriods({ current }: { current: string }) {
  const periods = useUsagePeriods();
  const navigate = route.useNavigate();
  return (
    <>
      <h2>Periods</h2>
      <ErrorNote error={periods.error} />
      <table className="grid periods">
        <thead>
          <tr>
            <th>Period</th>
            <th>Spent</th>
            <th>Calls</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(periods.data?.periods ?? []).map((p) => {
            const key = p.period_start.slice(0, 10);
            return (
              <tr key={p.period_start} className={current === key ? 'selected' : ''}>
                <td className="mono">
                  {key} to {p.period_end.slice(0, 10)}
                </td>
                <td>{formatUsd(p.spent_usd)}</td>
                <td>{formatCount(p.calls)}</td>
                <td>
                  <button type="button" onClick={() => void navigate({ search: { period: key } })}>
                    Show
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {current !== 'current' && (
        <button type="button" onClick={() => void navigate({ search: {} })}>
          Back to this period
        </button>
      )}
    </>
  );
}
