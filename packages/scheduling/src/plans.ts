/** A tenant's plan, as stored in tenants.plan. */
export type PlanName = 'trial' | 'starter' | 'growth';

/** The shortest interval between two fires of one schedule each plan allows, in seconds. */
export const MIN_INTERVAL_SECONDS: Record<PlanName, number> = { trial: 300, starter: 60, growth: 1 };

/**
 * The fires that keep the plan's interval: each at least minSeconds after the one fired
 * before it (`last`, the schedule's last fire, then the previous kept one). The API refuses
 * rules that can fire closer than that; this holds the limit for rules saved before it did.
 */
export function keepPlanInterval(fires: Date[], last: Date | null, minSeconds: number): Date[] {
  const kept: Date[] = [];
  let previous = last;
  for (const fire of fires) {
    if (previous && fire.getTime() - previous.getTime() < minSeconds * 1000) continue;
    kept.push(fire);
    previous = fire;
  }
  return kept;
}
