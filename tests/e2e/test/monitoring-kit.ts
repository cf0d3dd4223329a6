import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// Reading infra/monitoring/: the PromQL of the alert rules and of the Grafana dashboard, and
// which metric names an app's /metrics exports.

/** PromQL's words that are not metric names when not followed by "(". */
const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects: what is left once strings, label matchers,
 * ranges, grouping clauses, Grafana variables, numbers, keywords and function calls are
 * taken out. Grafana's label_values(metric, label) names its metric first.
 */
export function promqlMetricNames(expr: string): string[] {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^{}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?\w+/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/\blabel_values\s*\(\s*([a-zA-Z_:][\w:]*)\s*,[^)]*\)/g, ' $1 ');
  const names = new Set<string>();
  for (const match of text.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, word, call] = match;
    if (call || KEYWORDS.has(word!.toLowerCase())) continue;
    names.add(word!);
  }
  return [...names].sort();
}

/**
 * Every series name a /metrics text exports, from its TYPE lines: a histogram's _bucket,
 * _sum and _count, a summary's _sum and _count, besides the name itself. A labelled metric
 * that has counted nothing yet is exported all the same (its HELP and TYPE lines).
 */
export function exportedMetricNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

export const MONITORING_DIR = (root: string) => path.join(root, 'infra', 'monitoring');
export const readYaml = (file: string): any => parse(fs.readFileSync(file, 'utf8'));

export interface Rule {
  group: string;
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The rules of a Prometheus rule file, each with its group's name. */
export function rulesOf(file: any): Rule[] {
  return (file.groups as { name: string; rules: Omit<Rule, 'group'>[] }[]).flatMap((g) => g.rules.map((r) => ({ group: g.name, ...r })));
}

/** Every PromQL query of a Grafana dashboard (panels, rows' panels, query variables) with where it is. */
function dashboardQueries(dashboard: any): { where: string; expr: string }[] {
  const panels = (dashboard.panels as any[]).flatMap((p) => [p, ...(p.panels ?? [])]);
  const fromPanels = panels.flatMap((p) => (p.targets ?? []).map((t: any) => ({ where: `panel "${p.title}" ${t.refId}`, expr: String(t.expr) })));
  const fromVariables = (dashboard.templating?.list ?? [])
    .filter((v: any) => v.type === 'query')
    .map((v: any) => ({ where: `variable ${v.name}`, expr: String(typeof v.query === 'string' ? v.query : v.query.query) }));
  return [...fromPanels, ...fromVariables];
}

/** Whether (), [] and {} pair up in a PromQL text, outside its strings. */
export function bracketsBalance(expr: string): boolean {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (const ch of expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')) {
    if ('([{'.includes(ch)) stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return false;
  }
  return stack.length === 0;
}

/** Series Prometheus makes itself for every target. */
const PROMETHEUS_SERIES = new Set(['up']);

/**
 * What the monitoring kit needs of the apps' /metrics: every metric name its alerts and its
 * dashboard use, with where each is used, less those it records itself (level:metric:operations)
 * and those Prometheus makes.
 */
export function metricsTheKitUses(root: string): Map<string, string[]> {
  const dir = MONITORING_DIR(root);
  const rules = rulesOf(readYaml(path.join(dir, 'alerts.yml')));
  const dashboard = JSON.parse(fs.readFileSync(path.join(dir, 'grafana', 'conveyor-dashboard.json'), 'utf8'));
  const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
  const uses = new Map<string, string[]>();
  const note = (where: string, expr: string) => {
    for (const name of promqlMetricNames(expr)) if (!recorded.has(name) && !PROMETHEUS_SERIES.has(name)) uses.set(name, [...(uses.get(name) ?? []), where]);
  };
  for (const r of rules) note(`alerts.yml ${r.alert ?? r.record}`, r.expr);
  for (const q of dashboardQueries(dashboard)) note(`dashboard ${q.where}`, q.expr);
  return uses;
}
