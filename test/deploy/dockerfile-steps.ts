import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One instruction of a Dockerfile, its continuation lines joined. */
export interface Instruction {
  op: string;
  args: string;
}

export function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

/** A JSON-array ("exec form") argument, as CMD and HEALTHCHECK CMD take. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec form: ${args}`);
  return parsed;
}

export interface Stage {
  name: string;
  /** The folder standing for the stage's WORKDIR. */
  dir: string;
  env: Record<string, string>;
  cmd: string[] | null;
  healthcheck: string[] | null;
}

/**
 * Replays a Dockerfile's stages in folders under `root`: COPY from the build context or an earlier stage,
 * RUN through sh in the stage's folder with its ENV. Machines here cannot pull base images, so FROM only
 * starts a new folder and USER is noted, not switched; everything a base image would add is this
 * machine's Node.
 */
export function replayDockerfile(dockerfile: string, context: string, root: string, log: (line: string) => void): Stage[] {
  const stages: Stage[] = [];
  let stage: Stage | null = null;
  for (const { op, args } of parseDockerfile(readFileSync(dockerfile, 'utf8'))) {
    if (op === 'FROM') {
      const name = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? `stage${stages.length}`;
      stage = { name, dir: join(root, name), env: {}, cmd: null, healthcheck: null };
      mkdirSync(stage.dir, { recursive: true });
      stages.push(stage);
      continue;
    }
    if (!stage) throw new Error(`${op} before FROM`);
    switch (op) {
      case 'WORKDIR':
      case 'EXPOSE':
      case 'USER':
        break;
      case 'ENV': {
        const [key, ...value] = args.split('=');
        stage.env[key!] = value.join('=');
        break;
      }
      case 'COPY': {
        const parts = args.split(/\s+/);
        const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : null;
        const dest = parts.pop()!;
        const source = from ? stages.find((s) => s.name === from)?.dir : context;
        if (!source) throw new Error(`COPY --from=${from}: no such stage`);
        for (const src of parts) {
          const rel = src.replace(/^\/app\//, '');
          const target = dest.endsWith('/') ? join(stage.dir, dest, rel.split('/').pop()!) : join(stage.dir, dest);
          cpSync(join(source, rel), target, { recursive: true });
        }
        break;
      }
      case 'RUN':
        log(`[${stage.name}] RUN ${args}`);
        execFileSync('sh', ['-c', args], { cwd: stage.dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...stage.env }, stdio: 'inherit' });
        break;
      case 'HEALTHCHECK':
        stage.healthcheck = execForm(args.slice(args.indexOf('CMD') + 3).trim());
        break;
      case 'CMD':
        stage.cmd = execForm(args);
        break;
      default:
        throw new Error(`the replay does not know ${op}; teach test/deploy/dockerfile-steps.ts`);
    }
  }
  return stages;
}
