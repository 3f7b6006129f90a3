import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getOperationAST, GraphQLError } from 'graphql';
import type { Redis } from 'ioredis';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { createYoga, maskError, type YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import type { GraphQLContext } from './graphql/context.js';
import { databaseCheck, readiness } from './health/readiness.js';
import { useInputFieldErrors } from './graphql/input-errors.js';
import { requestLimitPlugins, type RequestIdentity, type RequestLimits } from './graphql/limits/index.js';
import { LIMIT_CODE, LimitError, rateLimitedError, TOO_MANY_CONNECTIONS_CLOSE } from './graphql/limits/errors.js';
import { isIntrospectionOnlyBody } from './graphql/limits/introspection-only.js';
import { KeyRates } from './graphql/limits/key-rates.js';
import { MemoryKeySlots, RedisKeySlots, type KeySlots, type Release } from './graphql/limits/key-slots.js';
import { corsPolicy, type BrowserAccess } from './http/browser-access.js';
import { disableIntrospection } from './graphql/introspection.js';
import { isConsolePath, serveConsole } from './http/console-page.js';
import { renderPatchedGraphiQL } from './http/graphiql-page.js';
import { apiKeyIdOf, graphqlGate, UNAUTHENTICATED_MESSAGE } from './http/graphql-gate.js';
import { fetchRequestOf, writeFetchResponse } from './http/node-fetch-bridge.js';
import { schema } from './graphql/schema.js';
import type { Logger } from './logger.js';
import type { AuthenticatedAccount } from './messaging/api-keys.js';
import { KeySockets } from './graphql/key-sockets.js';
import { useScopeGuard } from './graphql/scope-guard.js';
import { SharedSubscriptions, type SubscribeFn } from './graphql/shared-subscriptions.js';
import { SubscriptionMetrics, useSubscriptionExecutionCount } from './observability/subscription-metrics.js';
import { NotFoundError, ValidationError } from './messaging/errors.js';
import { BadCursorError, CursorExpiredError } from './events/errors.js';
import type { Services } from './services.js';
import { handleWebhook, isWebhookPath } from './webhooks/handler.js';
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import { useOpenTelemetry } from '@envelop/opentelemetry';
import { logAccess, useAccessLogFacts, yogaLogging } from './observability/access-log.js';

export const GRAPHQL_PATH = '/graphql';

/**
 * `account` is set by the HTTP gate, `wsAccount` by the WebSocket subscribe; both already authenticated.
 * `introspectionOnly`: the gate let a key-less request through because it asks for the schema alone.
 */
type ServerContext = {
  req: IncomingMessage;
  account?: AuthenticatedAccount;
  wsAccount?: AuthenticatedAccount | null;
  introspectionOnly?: boolean;
} & RequestIdentity;

/**
 * The caller of a key-less introspection: no account, no scopes. The scope guard refuses it every root
 * field that is not introspection, should one ever get past the gate's check.
 */
const NOBODY: AuthenticatedAccount = { id: '', name: '', key: { id: '', scopes: [], rateLimits: { requestsPerMinute: null, destinationsPerMinute: null } } };

const EXAMPLE_QUERY = `# Welcome to Omnigate. The schema and the docs (the book icon, top left) load without a key;
# running anything else needs your API key.
#
# 1. Find your key. The server printed one the first time it started, e.g.
#      API key for account "default" (shown once, store it now):
#        og_…
#    Lost it? Make another: npm start -- api-key create --account default
# 2. Open "Headers" (below this editor) and paste, with your key in place of og_…:
#      {"Authorization": "App og_…"}
#    ("Bearer og_…" works too.) GraphiQL sends these headers with every request,
#    and over the WebSocket for subscriptions.
# 3. Press the run button (or Ctrl-Enter). Without a key you get 401 UNAUTHENTICATED.
#
# Each key has scopes (READ, SEND, CONSOLE, ADMIN) and per-minute limits; past them an
# operation gets RATE_LIMITED with extensions.retryAfterSeconds.

query RecentMessages {
  messages(first: 10) {
    edges { node { messageId to channel status { groupName name } attempts { channel status { name } } } }
  }
}
`;

function unauthenticated(): GraphQLError {
  return new GraphQLError(UNAUTHENTICATED_MESSAGE, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });
}

function headerFromParams(params: unknown): string | null {
  if (!params || typeof params !== 'object') return null;
  const p = params as Record<string, unknown>;
  const value = p.authorization ?? p.Authorization;
  return typeof value === 'string' ? value : null;
}

export interface HttpServer {
  server: Server;
  /** Answers one request (health, webhooks, GraphQL over HTTP): for a server created elsewhere. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  yoga: YogaServerInstance<ServerContext, GraphQLContext>;
  /** Stops accepting, ends WebSocket sessions and waits for in-flight requests. */
  close(): Promise<void>;
}

export interface HttpServerOptions {
  /** Reasons the service is not ready (database, live events, job worker); only the database's when absent. */
  notReady?: () => Promise<string[]>;
  metricsEnabled?: boolean;
  /** A server that already listens (see src/listen-early.ts): WebSockets attach to it, its owner routes to `handle`. */
  existing?: Server;
  /** Request limits (cost, depth, body size, per-key slots and rates, WebSocket caps and auth deadline). */
  limits: RequestLimits;
  /** CORS, introspection and GraphiQL. */
  browser: BrowserAccess;
  /** Per-key counts (rates, WebSocket slots) are kept here when given, shared by every instance; else in memory. */
  redis?: { client: Redis; prefix: string } | null;
}

/** One node:http server: GraphQL over HTTP and WebSocket on the same path, plus health probes and metrics. */
export function createHttpServer(services: Services, db: Kysely<Database>, logger: Logger, options: HttpServerOptions): HttpServer {
  const { metrics, tracing } = services.observability;
  const metricsEnabled = options.metricsEnabled ?? true;
  const { notReady, existing, limits, browser } = options;
  const redis = options.redis ?? null;
  const rates = new KeyRates(
    { requestsPerMinute: limits.requestsPerMinute, destinationsPerMinute: limits.destinationsPerMinute },
    redis ? { redis: redis.client, prefix: redis.prefix } : null,
  );
  const slotsOf = (what: string): KeySlots =>
    redis ? new RedisKeySlots(redis.client, `${redis.prefix}:ws:${what}`, limits.wsSlotRenewMs, logger) : new MemoryKeySlots();
  const connectionSlots = slotsOf('connections');
  const subscriptionSlots = slotsOf('subscriptions');
  const cors = corsPolicy(browser.corsOrigins);
  const subscriptionMetrics = new SubscriptionMetrics(metrics.registry);
  // Identical subscriptions of one account share one execution per event (src/graphql/shared-subscriptions.ts).
  const sharedSubscriptions = new SharedSubscriptions({ metrics: subscriptionMetrics, logger });
  const yoga = createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    renderGraphiQL: renderPatchedGraphiQL(),
    graphiql: browser.graphiql ? { title: 'Omnigate', subscriptionsProtocol: 'WS', defaultQuery: EXAMPLE_QUERY } : false,
    cors: (request) => cors.yogaOptions(request.headers.get('origin')),
    logging: yogaLogging(logger),
    maskedErrors: {
      // Never expose internals, whatever NODE_ENV says.
      isDev: false,
      maskError: (error, message) => {
        const original = error instanceof GraphQLError ? error.originalError : error;
        // Rules broken by a query's arguments (no union result to carry them) become typed errors.
        if (original instanceof ValidationError) {
          return new GraphQLError(original.message, {
            extensions: { code: 'BAD_USER_INPUT', fieldErrors: original.fieldErrors },
          });
        }
        if (original instanceof BadCursorError || original instanceof CursorExpiredError) {
          const code = original instanceof BadCursorError ? 'BAD_CURSOR' : 'CURSOR_EXPIRED';
          return new GraphQLError(original.message, {
            extensions: { code, argument: original.argument, fieldErrors: [{ path: [original.argument], message: original.message }] },
          });
        }
        if (original instanceof NotFoundError) {
          return new GraphQLError(original.message, { extensions: { code: 'NOT_FOUND', resource: original.resource, key: original.key } });
        }
        if (original && !(original instanceof GraphQLError)) logger.error({ err: original }, 'unexpected error in a resolver');
        return maskError(error, message, false);
      },
    },
    plugins: [
      // A browser on another site cannot send a "simple" request (form or text/plain POST, GET without a
      // custom header) that would run with the user's ambient credentials: JSON POSTs, which need a CORS
      // preflight, pass; GraphiQL sends those.
      useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'graphql-preflight'] }),
      ...(browser.introspection ? [] : [disableIntrospection()]),
      useScopeGuard(),
      ...requestLimitPlugins(limits, rates),
      // After the limit plugins: graphql-armor's token limit replaces the parse function, and this one wraps
      // whatever parse it is given (a document nested too deep to parse is a syntax error, not a crash).
      useInputFieldErrors(),
      useAccessLogFacts(),
      useSubscriptionExecutionCount(subscriptionMetrics),
      // GraphQL request, phase and error metrics on this app's registry; /metrics is served below.
      ...(metricsEnabled ? [usePrometheus({ registry: metrics.registry, endpoint: false })] : []),
      // Operation spans; variables, documents and results stay out (they carry message contents).
      ...(tracing.tracerProvider
        ? [useOpenTelemetry({ resolvers: false, variables: false, document: false, result: false }, tracing.tracerProvider)]
        : []),
    ],
    context: async ({ request, wsAccount, account: admitted, introspectionOnly }) => {
      if (introspectionOnly) return { account: NOBODY, services };
      // WebSocket operations were authenticated when they subscribed, HTTP ones by the gate before their
      // body was read; anything else reaching yoga is checked here, before any resolver runs.
      const account =
        wsAccount !== undefined ? wsAccount : (admitted ?? (await services.accounts.authenticate(request.headers.get('authorization'))));
      if (!account) throw unauthenticated();
      return { account, services };
    },
  });

  // The key is checked and the body's size capped before the body is read (src/http/graphql-gate.ts).
  const gate = graphqlGate({
    maxBodyBytes: limits.maxBodyBytes,
    keylessIntrospectionMaxBytes: browser.introspection ? limits.keylessMaxBodyBytes : null,
    authenticate: (authorization) => services.accounts.authenticate(authorization),
    countRequest: (subject, account) => rates.consume('requests', subject, account?.key.rateLimits),
    isIntrospectionOnly: isIntrospectionOnlyBody,
    corsHeaders: (req) => cors.refusalHeaders(req.headers.origin ?? null),
    admit: async (req, res, body, who) => {
      const serverContext: ServerContext =
        who?.kind === 'key'
          ? { req, account: who.account, apiKeyId: who.apiKeyId }
          : who?.kind === 'introspection'
            ? { req, introspectionOnly: true }
            : { req };
      if (!body) return yoga.handle(req, res, serverContext);
      await writeFetchResponse(res, await yoga.fetch(fetchRequestOf(yoga.fetchAPI.Request, req, res, body), serverContext));
    },
  });

  const readinessProbe = notReady ?? readiness([databaseCheck(db)]);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    logAccess(req, res, logger);
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics' && metricsEnabled) {
      try {
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(await metrics.registry.metrics());
      } catch (err) {
        logger.error({ err }, 'metrics collection failed');
        res.writeHead(500).end();
      }
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/readyz') {
      const reasons = await readinessProbe();
      const ready = reasons.length === 0;
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(ready ? { status: 'ready' } : { status: 'not ready', reasons }));
      return;
    }
    if (isWebhookPath(path ?? '')) {
      handleWebhook(req, res, services, logger).catch((err: unknown) => {
        logger.error({ err }, 'webhook handler failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    if (isConsolePath(path ?? '')) {
      serveConsole(req, res, path ?? '').catch((err: unknown) => {
        logger.error({ err }, 'console page failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    if (path === '/') {
      res.writeHead(302, { location: GRAPHQL_PATH }).end();
      return;
    }
    if (path !== GRAPHQL_PATH) {
      yoga.handle(req, res, { req });
      return;
    }
    gate(req, res).catch((err: unknown) => {
      logger.error({ err }, 'GraphQL gate failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
  const server = existing ?? createServer((req, res) => void handle(req, res));
  // Pending requests keep the server open; these stop idle keep-alive sockets from doing so on shutdown.
  server.keepAliveTimeout = 5_000;

  // A WebSocket message is a request body too: the same byte cap (ws closes with 1009 past it).
  const wss = new WebSocketServer({ server, path: GRAPHQL_PATH, maxPayload: limits.maxBodyBytes });
  type SocketExtra = {
    account: AuthenticatedAccount | null;
    apiKeyId?: string;
    authDeadline?: NodeJS.Timeout;
    /** This socket's place among its key's open sockets; released when it closes. */
    connectionSlot?: Release;
    /** The subscriptions holding one of their key's subscription slots, by operation id. */
    subscriptionSlots?: Map<string, Release>;
    /** Set when the socket closed: a slot granted after that is given back at once. */
    closed?: boolean;
  };
  const tooManyConnections = (socket: { close(code: number, reason: string): void }) =>
    socket.close(TOO_MANY_CONNECTIONS_CLOSE.code, TOO_MANY_CONNECTIONS_CLOSE.reason(limits.wsMaxConnectionsPerKey));
  /** Takes one of the key's connection slots for this socket (once); false when the key has none left. */
  const holdConnection = async (extra: Partial<SocketExtra>, account: AuthenticatedAccount): Promise<boolean> => {
    if (extra.connectionSlot) return true;
    const release = await connectionSlots.tryAcquire(account.key.id, limits.wsMaxConnectionsPerKey);
    if (!release) return false;
    if (extra.closed) release();
    else extra.connectionSlot = release;
    return true;
  };
  // A revoked key (here or on another instance) ends its open sessions at once.
  const keySockets = new KeySockets();
  const stopFollowingKeys = services.apiKeys.onKeyEnded((keyId) => keySockets.closeAll(keyId));
  const wsServer = useServer<Record<string, unknown>, SocketExtra>(
    {
      // A socket that never sends connection_init is closed (4408) after the same time.
      connectionInitWaitTimeout: limits.wsAuthTimeoutMs,
      execute: (args) => (args.rootValue as { execute: (a: unknown) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: unknown) => unknown }).subscribe(args) as never,
      onConnect: async (ctx) => {
        const header = headerFromParams(ctx.connectionParams);
        if (header === null) {
          // GraphiQL sends its headers with each operation instead; those are checked on subscribe. A
          // socket that brings no valid key that way either is closed after WS_AUTH_TIMEOUT_MS.
          ctx.extra.account = null;
          const socket = ctx.extra.socket;
          ctx.extra.authDeadline = setTimeout(
            () => socket.close(4401, `Unauthorized: no valid API key within ${limits.wsAuthTimeoutMs} ms`),
            limits.wsAuthTimeoutMs,
          );
          return true;
        }
        const account = await services.accounts.authenticate(header);
        if (!account) return false; // graphql-ws closes with 4403 Forbidden
        if (!(await holdConnection(ctx.extra, account))) {
          // Closed with our code first; graphql-ws's own close (4403) after `false` is then a no-op.
          tooManyConnections(ctx.extra.socket);
          return false;
        }
        ctx.extra.account = account;
        ctx.extra.apiKeyId = apiKeyIdOf(header);
        keySockets.add(account.key.id, ctx.extra.socket);
        return true;
      },
      onClose: (ctx) => {
        ctx.extra.closed = true;
        clearTimeout(ctx.extra.authDeadline);
        for (const release of ctx.extra.subscriptionSlots?.values() ?? []) release();
        ctx.extra.subscriptionSlots?.clear();
        ctx.extra.connectionSlot?.();
      },
      onComplete: (ctx, id) => {
        ctx.extra.subscriptionSlots?.get(id)?.();
        ctx.extra.subscriptionSlots?.delete(id);
      },
      onSubscribe: async (ctx, id, payload) => {
        let account = ctx.extra.account ?? null;
        let apiKeyId = ctx.extra.apiKeyId;
        if (!account) {
          const header = headerFromParams((payload.extensions as { headers?: unknown } | undefined)?.headers);
          account = await services.accounts.authenticate(header);
          apiKeyId = apiKeyIdOf(header);
        }
        if (!account) {
          ctx.extra.socket.close(4403, 'Forbidden');
          return [unauthenticated()];
        }
        if (!(await holdConnection(ctx.extra, account))) {
          tooManyConnections(ctx.extra.socket);
          return [new LimitError(LIMIT_CODE.connections, TOO_MANY_CONNECTIONS_CLOSE.reason(limits.wsMaxConnectionsPerKey), { limit: limits.wsMaxConnectionsPerKey })];
        }
        clearTimeout(ctx.extra.authDeadline);
        keySockets.add(account.key.id, ctx.extra.socket);
        // Each operation is a request: counted against the same per-minute limit as over HTTP.
        const refusal = await rates.consume('requests', account.key.id, account.key.rateLimits);
        if (refusal) return [rateLimitedError(refusal)];
        const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          req: ctx.extra.request,
          wsAccount: account,
          ...(apiKeyId ? { apiKeyId } : {}),
          params: payload,
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (e) {
          return [e instanceof GraphQLError ? e : new GraphQLError('Syntax error')];
        }
        const errors = validate(s, document);
        if (errors.length > 0) return errors;
        if (getOperationAST(document, payload.operationName ?? undefined)?.operation === 'subscription') {
          // Released when it completes (either side) or the socket closes (onComplete / onClose).
          const release = await subscriptionSlots.tryAcquire(account.key.id, limits.wsMaxSubscriptionsPerKey);
          if (!release) {
            return [
              new LimitError(
                LIMIT_CODE.subscriptions,
                `This key already has ${limits.wsMaxSubscriptionsPerKey} active subscriptions; complete one first.`,
                { limit: limits.wsMaxSubscriptionsPerKey },
              ),
            ];
          }
          if (ctx.extra.closed) release();
          else (ctx.extra.subscriptionSlots ??= new Map()).set(id, release);
        }
        return {
          schema: s,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: {
            execute,
            subscribe: (args: Parameters<SubscribeFn>[0]) =>
              sharedSubscriptions.subscribe(args, { socket: ctx.extra.socket, subscriptionId: id, accountId: account.id, scopes: account.key.scopes }, subscribe as SubscribeFn),
          },
        };
      },
    },
    wss,
  );

  return {
    server,
    handle: (req, res) => void handle(req, res),
    yoga,
    close: async () => {
      stopFollowingKeys();
      await wsServer.dispose();
      await Promise.all([connectionSlots.close(), subscriptionSlots.close()]);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
