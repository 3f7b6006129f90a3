import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the benchmarks live, the repository they measure, and where their JSON results go. */
export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
/** The machine's PostgreSQL, as the README's development setup has it, when DATABASE_URL is unset. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

