/** What a fuzzed response may and may not contain (not a test file itself). */

export interface GraphQLErrorShape {
  message?: unknown;
  path?: unknown;
  extensions?: { code?: unknown; fieldErrors?: Array<{ path?: unknown }> };
}

export interface ResponseShape {
  data?: Record<string, unknown> | null;
  errors?: GraphQLErrorShape[];
}

/** The masked error graphql-yoga answers for anything it did not expect. */
export function maskedErrors(errors: readonly GraphQLErrorShape[] | undefined): GraphQLErrorShape[] {
  return (errors ?? []).filter((e) => e.message === 'Unexpected error.' || e.extensions?.code === 'INTERNAL_SERVER_ERROR');
}

/**
 * Stack lines, source locations and file paths anywhere in a JSON value, and keys that only internals
 * carry. Yoga's own `originalError` ({name, message} of a body that is not JSON) is not one: its strings
 * are searched like any other.
 */
export function leaks(value: unknown, at = '$'): string[] {
  if (typeof value === 'string') {
    const found: string[] = [];
    if (value.split('\n').some((line) => /^\s*at\s+\S/.test(line) && /:\d+:\d+\)?\s*$|<anonymous>|node:/.test(line))) found.push(`${at}: stack line`);
    if (/\.(?:ts|js|mjs|cjs):\d+:\d+/.test(value)) found.push(`${at}: source location`);
    if (/node_modules|\/src\/|\/work\//.test(value)) found.push(`${at}: file path`);
    return found;
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => leaks(v, `${at}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [
      ...(['stack', 'stacktrace', 'exception'].includes(k) ? [`${at}.${k}: internal key`] : []),
      ...leaks(v, `${at}.${k}`),
    ]);
  }
  return [];
}

/** Every fieldErrors path in the response: from a ValidationError result or a BAD_USER_INPUT error. */
export function namedPaths(body: ResponseShape, field: string): string[][] {
  const paths: string[][] = [];
  const result = body.data?.[field] as { __typename?: string; fieldErrors?: Array<{ path: string[] }> } | null | undefined;
  if (result?.__typename === 'ValidationError') for (const fe of result.fieldErrors ?? []) paths.push(fe.path);
  for (const e of body.errors ?? []) for (const fe of e.extensions?.fieldErrors ?? []) if (Array.isArray(fe.path)) paths.push(fe.path as string[]);
  return paths;
}

/** The resolver (or subscribe) ran: GraphQL accepted the arguments' types. Coercion errors carry no path. */
export function reachedResolver(body: ResponseShape, field: string): boolean {
  if (body.data && field in body.data) return true;
  return (body.errors ?? []).some((e) => Array.isArray(e.path) && e.path[0] === field);
}

/**
 * A refused path names the argument path given. GraphQL makes a lone value given for a list into a
 * one-item list, so the refused path may hold an extra "0" wherever the input skipped a list level.
 */
export function names(named: string[][], path: string[]): boolean {
  return named.some((p) => {
    let i = 0;
    for (const part of p) {
      if (i < path.length && part === path[i]) i++;
      else if (part !== '0') return false;
    }
    return i === path.length;
  });
}

/** One word for what came back, for the summary. */
export function outcomeOf(body: ResponseShape, field: string): string {
  const result = body.data?.[field] as { __typename?: string } | null | undefined;
  if (result?.__typename) return result.__typename;
  const code = body.errors?.[0]?.extensions?.code;
  if (typeof code === 'string') return code;
  if (body.errors?.length) return 'error';
  return body.data && field in body.data ? 'data' : 'no data';
}
