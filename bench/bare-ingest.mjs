#!/usr/bin/env node
// The baseline of bench/ingestion.mjs: a plain script that fetches a source's pages for a
// window from the simulator (the same windows, page size and requests as the source in
// packages/integrations), JSON.parse, and upserts each page with plain pg in one multi-row
// INSERT … ON CONFLICT (source, external_id) DO UPDATE: no content hash, no audit record, no
// token bucket, no task. A process that stays, as the worker does (its code warm, one
// connection): env BARE_INGEST (JSON) {base, databaseUrl, table, indicators}; each line on
// stdin is a job {source, windows: [{from, to}]}, answered by a line {records, pages, seconds, cpu_ms} (the
// loop only) on stdout. It ends when its stdin ends.
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './lib.mjs';

const { Client } = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'))('pg');
const settings = JSON.parse(process.env.BARE_INGEST);
const DAY_MS = 86_400_000;

/** The job's windows (the runs Conveyor is asked for), each cut into consecutive windows of sizeMs as the run loop cuts them. */
function windows(job, sizeMs) {
  const out = [];
  for (const w of job.windows) {
    const [start, end] = [Date.parse(w.from), Date.parse(w.to)];
    for (let from = start; from < end; from += sizeMs) out.push([from, Math.min(from + sizeMs, end)]);
  }
  return out;
}

const RELIEFWEB_FIELDS = [
  'title',
  'url',
  'url_alias',
  'date.created',
  'date.original',
  'date.changed',
  'primary_country.iso3',
  'primary_country.name',
  'country.iso3',
  'country.name',
  'source.shortname',
  'source.name',
  'format.name',
  'theme.name',
  'language.code',
  'disaster_type.name',
];
const second = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
const query = (pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

/** ReliefWeb: a day at a time, 1000 reports a page by offset, created within the day's seconds. */
async function* reliefwebPages(job) {
  for (const [from, to] of windows(job, DAY_MS)) {
    for (let offset = 0; ;) {
      const url = `${job.base}/v2/reports?${query([
        ['appname', 'conveyor'],
        ['limit', '1000'],
        ['offset', String(offset)],
        ['filter[field]', 'date.created'],
        ['filter[value][from]', second(from)],
        ['filter[value][to]', second(to - 1000)],
        ['sort[]', 'date.created:asc'],
        ['sort[]', 'id:asc'],
        ...RELIEFWEB_FIELDS.map((f) => ['fields[include][]', f]),
      ])}`;
      const page = await getJson(url);
      yield page.data.map((report) => {
        const f = report.fields;
        return [
          String(report.id),
          report,
          (f.date.original ?? f.date.created).slice(0, 10),
          f.primary_country?.iso3?.toUpperCase() ?? null,
          null,
          null,
          f.title,
        ];
      });
      offset += page.data.length;
      if (page.data.length === 0 || offset >= page.totalCount) break;
    }
  }
}

/** The World Bank: five-year windows (every year each touches), each indicator's rows with a value, 1000 a page. */
async function* worldbankPages(job) {
  for (const [from, to] of windows(job, 5 * 366 * DAY_MS)) {
    const years = `${new Date(from).getUTCFullYear()}:${new Date(to - 1).getUTCFullYear()}`;
    for (const indicator of job.indicators) {
      for (let page = 1, pages = 1; page <= pages; page++) {
        const [meta, rows] = await getJson(
          `${job.base}/v2/country/all/indicator/${encodeURIComponent(indicator)}?format=json&date=${years}&page=${page}&per_page=1000`,
        );
        pages = meta.pages;
        yield (rows ?? [])
          .filter((r) => r.value !== null)
          .map((r) => {
            const country = r.countryiso3code || r.country.id;
            return [
              `${r.indicator.id}:${country}:${r.date}`,
              r,
              `${r.date}-01-01`,
              country,
              r.indicator.id,
              r.value,
              `${r.indicator.value}, ${r.country.value}, ${r.date}`,
            ];
          });
      }
    }
  }
}

async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return JSON.parse(await res.text());
}

const COLUMNS = ['external_id', 'raw', 'occurred_on', 'country', 'series_id', 'value', 'title'];

/** One multi-row INSERT … ON CONFLICT DO UPDATE for the page (its last version of an id, as one statement may not touch a row twice). */
async function upsert(client, job, rows) {
  const byId = [...new Map(rows.map((r) => [r[0], r])).values()];
  if (byId.length === 0) return 0;
  const params = [job.source];
  const tuples = byId.map((r) => {
    const at = params.length;
    params.push(r[0], JSON.stringify(r[1]), ...r.slice(2));
    return `($1, ${COLUMNS.map((_, i) => `$${at + i + 1}`).join(', ')})`;
  });
  await client.query(
    `insert into ${job.table} (source, ${COLUMNS.join(', ')}) values ${tuples.join(', ')}
     on conflict (source, external_id) do update
        set raw = excluded.raw, occurred_on = excluded.occurred_on, country = excluded.country, series_id = excluded.series_id,
            value = excluded.value, title = excluded.title, updated_at = now()`,
    params,
  );
  return byId.length;
}

const client = new Client({ connectionString: settings.databaseUrl, application_name: 'bench-bare-ingest' });
await client.connect();
for await (const line of createInterface({ input: process.stdin })) {
  const job = { ...settings, ...JSON.parse(line) };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let records = 0;
  let pages = 0;
  for await (const rows of job.source === 'reliefweb' ? reliefwebPages(job) : worldbankPages(job)) {
    records += await upsert(client, job, rows);
    pages++;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write(`${JSON.stringify({ records, pages, seconds, cpu_ms: (cpu.user + cpu.system) / 1000 })}\n`);
}
await client.end();
