/**
 * A provider lives in its own folder: everything else asks its module (src/providers/registry.ts), so a
 * provider's name in code anywhere else is a switch someone must remember to extend for the next one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SRC = join(ROOT, 'src');

/** The provider-type values as code spells them (PROVIDER_TYPES in src/domain/channel.ts). */
const PROVIDER_NAME = /\b(?:VIBER_BOT|INFOBIP|DECISIONTELECOM)\b|['"`]SIMULATOR['"`]/;

/** Where a provider may be named: its own folder, the registry that lists them, and the enum's source. */
const ALLOWED = [/^src\/providers\/(?:viber-bot|infobip|decisiontelecom|simulator)\//, /^src\/providers\/registry\.ts$/, /^src\/domain\/channel\.ts$/];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('provider boundaries', () => {
  it('names a provider only inside its folder, the registry and the enum source', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    const offending = files
      .map((file) => relative(ROOT, file).split(sep).join('/'))
      .filter((file) => !ALLOWED.some((allowed) => allowed.test(file)))
      .flatMap((file) =>
        readFileSync(join(ROOT, file), 'utf8')
          .split('\n')
          .flatMap((line, i) => (PROVIDER_NAME.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(offending).toEqual([]);
  });
});
