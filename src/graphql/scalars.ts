import { GraphQLError, Kind } from 'graphql';
import { builder } from './builder.js';

/** ISO-8601 with an offset (or Z) in and out; a time without one is ambiguous and refused. */
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_WITH_OFFSET.test(value) || Number.isNaN(Date.parse(value))) {
    throw new GraphQLError('DateTime must be an ISO-8601 date-time with an offset, e.g. 2026-11-21T09:30:00Z');
  }
  return new Date(value);
}

builder.scalarType('DateTime', {
  description: 'An ISO-8601 date-time with an offset, e.g. `2026-11-21T09:30:00.000Z`.',
  serialize: (value) => (value instanceof Date ? value : new Date(value as string)).toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string');
    return parseDateTime(ast.value);
  },
});
