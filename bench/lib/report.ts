import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RESULTS_DIR } from './paths.js';

/** A bench's JSON report: to `bench/results/<file>` and to stdout (progress and tables go to stderr). */
export function publishReport(file: string, report: unknown): void {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, file), json);
  process.stdout.write(json);
}

/**
 * Runs a bench's main and ends the process: 0 once stdout has drained (a pipe would otherwise lose the
 * tail of a large report), 1 with the stack on stderr when it threw. Children and sockets a failed run
 * left behind do not keep it alive.
 */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.stdout.write('', () => process.exit(0)),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
