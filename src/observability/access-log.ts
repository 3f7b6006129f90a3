import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import { NotFoundError, ValidationError } from '../messaging/errors.js';

/** What the GraphQL layer learns about a request, for its access log line. */
interface RequestFacts {
  operationName?: string;
  accountId?: string;
  /** Error codes of the result (BAD_USER_INPUT, GRAPHQL_VALIDATION_FAILED, …): the client's mistakes. */
  errorCodes?: string[];
}

const facts = new WeakMap<IncomingMessage, RequestFacts>();

function factsOf(req: IncomingMessage): RequestFacts {
  let f = facts.get(req);
  if (!f) facts.set(req, (f = {}));
  return f;
}

/** Probes and scrapes come every few seconds; provider callbacks one per message. Both stay at debug when they succeed. */
function quietPath(path: string): boolean {
  return path === '/healthz' || path === '/readyz' || path === '/metrics' || path.startsWith('/webhooks/');
}

/** Requests whose line goes to debug: a flood's repeated rate-limit refusals (its first one per window is logged at info). */
const quietRequests = new WeakSet<IncomingMessage>();

/** Logs this request's line at debug: one of many identical refusals, which would otherwise cost a line each. */
export function quietAccess(req: IncomingMessage): void {
  quietRequests.add(req);
}

/**
 * One line per HTTP request when its response is finished: method, path (never the query string, which
 * may carry a callback secret), status, duration, and for GraphQL the operation name, the account and the
 * error codes the client got. No headers, no bodies, no message contents.
 */
export function logAccess(req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  const started = performance.now();
  res.once('finish', () => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const f = facts.get(req);
    const line = {
      method: req.method,
      path,
      status: res.statusCode,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...(f?.operationName ? { operation: f.operationName } : {}),
      ...(f?.accountId ? { accountId: f.accountId } : {}),
      ...(f?.errorCodes?.length ? { errors: f.errorCodes } : {}),
    };
    if (res.statusCode >= 500) logger.warn(line, 'request failed');
    else if ((quietPath(path) && res.statusCode < 400) || quietRequests.has(req)) logger.debug(line, 'request');
    else logger.info(line, 'request');
  });
}

/** Fills the access log's GraphQL facts from inside Yoga (the server context carries the node request). */
export function useAccessLogFacts(): Plugin<{ req?: IncomingMessage; account?: { id: string } | null }> {
  return {
    // Validation runs before execution (and is all a refused document gets): name the operation here.
    onValidate: ({ params, context }) => {
      const req = (context as { req?: IncomingMessage }).req;
      const name = getOperationAST(params.documentAST, (context as { params?: { operationName?: string } }).params?.operationName)?.name?.value;
      if (req && name) factsOf(req).operationName = name;
    },
    onExecute: ({ args }) => {
      const ctx = args.contextValue as { req?: IncomingMessage; account?: { id: string } | null };
      if (!ctx.req) return;
      const f = factsOf(ctx.req);
      f.operationName = getOperationAST(args.document, args.operationName)?.name?.value ?? f.operationName;
      if (ctx.account) f.accountId = ctx.account.id;
    },
    onResultProcess: ({ result, serverContext }) => {
      const req = (serverContext as { req?: IncomingMessage }).req;
      if (!req) return;
      const results = Array.isArray(result) ? result : [result];
      const codes = results.flatMap((r) =>
        r && typeof r === 'object' && 'errors' in r && Array.isArray(r.errors)
          ? r.errors.map((e: { extensions?: { code?: unknown } }) => String(e.extensions?.code ?? 'ERROR'))
          : [],
      );
      if (codes.length > 0) factsOf(req).errorCodes = [...new Set(codes)];
    },
  };
}

/** A mistake the client made and was told about: its request, not our failure. */
function isClientMistake(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  const original = error.originalError;
  if (original instanceof ValidationError || original instanceof NotFoundError) return true;
  const code = error.extensions?.code;
  return code === 'BAD_USER_INPUT' || code === 'GRAPHQL_VALIDATION_FAILED' || code === 'GRAPHQL_PARSE_FAILED' || code === 'UNAUTHENTICATED';
}

/**
 * Yoga's logger, onto pino. Yoga logs at error every error it masks or reshapes, including a client's own
 * `first: 0`; those go to info (the client got a typed error naming the field). Unexpected errors were
 * already logged with their stack where they were masked, so Yoga's repeat goes to debug.
 */
export function yogaLogging(logger: Logger) {
  const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  return {
    debug: (...args: unknown[]) => logger.debug(text(args)),
    info: (...args: unknown[]) => logger.info(text(args)),
    warn: (...args: unknown[]) => logger.warn(text(args)),
    error: (...args: unknown[]) => {
      const error = args.find((a) => a instanceof Error);
      if (error && isClientMistake(error)) {
        const e = error as GraphQLError;
        logger.info({ code: e.extensions?.code ?? (e.originalError?.name ?? 'ERROR'), path: e.path }, `client error: ${e.message.split('\n')[0]}`);
      } else if (error instanceof GraphQLError && error.originalError && !(error.originalError instanceof GraphQLError)) {
        logger.debug({ err: error.originalError }, 'masked error (logged where it was masked)');
      } else {
        logger.error(error ? { err: error } : {}, text(args));
      }
    },
  };
}
