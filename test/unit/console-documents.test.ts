import { parse, validate, type GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema.js';

// The console is plain JavaScript, out of the typed codegen's reach: check its documents against the
// schema the server runs, so a renamed field fails here instead of in an agent's browser.
const documentsModule = new URL('../../src/console/documents.js', import.meta.url).href;

describe("the console's GraphQL documents", async () => {
  const documents = (await import(documentsModule)) as Record<string, unknown>;
  const operations = Object.entries(documents).filter((e): e is [string, string] => typeof e[1] === 'string' && /^(query|mutation|subscription)\b/.test(e[1]));

  it('are all there', () => {
    expect(operations.map(([name]) => name).sort()).toEqual([
      'CONVERSATIONS', 'LOG_HEAD', 'MARK_READ', 'ON_CONVERSATION', 'ON_INBOUND', 'ON_STATUS', 'REPLY', 'TIMELINE', 'WHO_AM_I',
    ]);
  });

  it.each(operations)('%s is valid against the schema', (_name, source) => {
    const errors: readonly GraphQLError[] = validate(schema, parse(source));
    expect(errors.map((e) => e.message)).toEqual([]);
  });

  it('every subscription resumes with $after', () => {
    for (const [name, source] of operations.filter(([, s]) => s.startsWith('subscription'))) {
      expect(source, name).toMatch(/\(\$after: String\)/);
      expect(source, name).toMatch(/\(after: \$after\)/);
    }
  });
});
