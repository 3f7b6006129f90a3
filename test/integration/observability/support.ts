import { Writable } from 'node:stream';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { startApp, type App } from '../../../src/app.js';
import { createTestDatabase } from '../../support/database.js';
import { testConfig } from '../../support/app.js';
import { waitFor } from '../helpers.js';

/** Shared by the observability tests (not a test file itself). */

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export type ObservedApp = App & { apiKey: string; logs: LogLine[]; stopAndDrop(): Promise<void> };

/** The real service on a fresh database, its log lines captured (parsed) instead of printed. */
export async function startObservedApp(env: Record<string, string> = {}, options: { spanExporter?: SpanExporter } = {}): Promise<ObservedApp> {
  const database = await createTestDatabase();
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const config = testConfig(database.url, { LOG_LEVEL: 'info', ...env });
  const app = await startApp(config, pino({ level: config.LOG_LEVEL, base: undefined }, sink), options);
  if (!app.bootstrapKey) throw new Error('a fresh database should bootstrap a key');
  return {
    ...app,
    apiKey: app.bootstrapKey,
    logs,
    stopAndDrop: async () => {
      await app.stop();
      await database.drop();
    },
  };
}

/** Waits until every message of the app is final. */
export async function waitAllFinal(app: App, count: number): Promise<void> {
  await waitFor(
    async () =>
      Number(
        (
          await app.database.db
            .selectFrom('message')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('statusGroup', 'in', ['DELIVERED', 'UNDELIVERABLE', 'EXPIRED', 'REJECTED'])
            .executeTakeFirstOrThrow()
        ).n,
      ),
    (n) => n === count,
  );
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:[0-9.e+-]+|NaN|Nan|\+Inf|-Inf))$/; // prom-client writes NaN as `Nan`; Prometheus parses either
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Prometheus text exposition format (0.0.4), strictly: every line is a HELP or TYPE comment or a sample
 * `name{label="value",…} number`, and every sample belongs to a family declared by a TYPE line before
 * it. Throws on the first line that is neither.
 */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  const families = new Set<string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      families.add(type[1]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`line ${i + 1} is not Prometheus text: ${line}`);
    const name = m[1]!;
    const family = [name, name.replace(/_(bucket|sum|count)$/, '')].find((f) => families.has(f));
    if (!family) throw new Error(`line ${i + 1}: sample ${name} has no TYPE line before it`);
    const labels: Record<string, string> = {};
    const rawLabels = m[2] ?? '';
    for (const l of rawLabels.matchAll(LABEL)) labels[l[1]!] = l[2]!;
    if (rawLabels.replace(LABEL, '').replace(/,/g, '').trim() !== '') throw new Error(`line ${i + 1}: malformed labels ${rawLabels}`);
    samples.push({ name, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and (at least) these labels; 0 when there is none. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

export async function scrape(app: App): Promise<{ status: number; contentType: string | null; samples: Sample[] }> {
  const response = await fetch(`${app.url}/metrics`);
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), samples: parsePrometheusText(text) };
}
