import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { Database } from './db/schema.js';
import type { EventBus } from './events/bus.js';
import type { Logger } from './logger.js';
import { scaledClock, systemClock, type Clock } from './domain/clock.js';
import { AccountService } from './messaging/accounts.js';
import { ApiKeyService, endApiKeyTask } from './messaging/api-keys.js';
import { BulkService } from './messaging/bulks.js';
import { EventService } from './messaging/events.js';
import { InboundService } from './messaging/inbound.js';
import { ConnectionService } from './messaging/connections.js';
import { StatusPoller, pollTask } from './messaging/polling.js';
import { ReportPush, pushReportTask } from './messaging/report-push.js';
import { Claims, type ClaimLease } from './messaging/claims.js';
import { Dispatcher, dispatchTask, outboundMessage } from './messaging/dispatch.js';
import { InDoubtResolver, inDoubtTask } from './messaging/in-doubt.js';
import { ReportService } from './messaging/reports.js';
import { ScenarioService } from './messaging/scenarios.js';
import { SendService } from './messaging/send.js';
import { ConversationService } from './messaging/conversations.js';
import { ExpiryService, expireTask } from './messaging/expiry.js';
import { OutcomeWriter } from './messaging/outcomes.js';
import { ReportIntake, UnknownAttemptError } from './messaging/report-intake.js';
import type { TaskDefinition } from './jobs/queue.js';
import { ProviderRegistry } from './providers/registry.js';
import { detachedObservability, type Observability } from './observability/index.js';
import { RetentionService, retentionTask } from './retention/retention.js';
import { installOutboundGuard } from './providers/http-client.js';
import { outboundPolicy } from './net/address-policy.js';
import { OutboundGuard } from './net/outbound-guard.js';

export interface Services {
  accounts: AccountService;
  apiKeys: ApiKeyService;
  scenarios: ScenarioService;
  send: SendService;
  connections: ConnectionService;
  providers: ProviderRegistry;
  /** The base URL providers reach us at (webhook URLs are built from it). */
  publicUrl: () => string;
  bulks: BulkService;
  reports: ReportService;
  inbound: InboundService;
  events: EventService;
  conversations: ConversationService;
  reportPush: ReportPush;
  clock: Clock;
  outcomes: OutcomeWriter;
  reportIntake: ReportIntake;
  expiry: ExpiryService;
  dispatcher: Dispatcher;
  poller: StatusPoller;
  /** Settles attempts that may or may not be with their provider (after a crash, a lost answer). */
  inDoubt: InDoubtResolver;
  bus: EventBus;
  /** Metrics and traces of this app instance. */
  observability: Observability;
  retention: RetentionService;
  /** The worker's tasks, each beside the service it calls. */
  tasks: TaskDefinition[];
  /** Stops in-process timers (the built-in provider's pending reports). */
  close(): void;
}

/** The composition root of the domain: every service wired to its collaborators, once. */
export function createServices(
  db: Kysely<Database>,
  bus: EventBus,
  logger: Logger,
  config: Config,
  publicUrl: () => string,
  lease: ClaimLease,
  observability: Observability = detachedObservability(),
): Services {
  const clock =
    config.CLOCK_START || config.CLOCK_SPEED !== 1
      ? scaledClock(config.CLOCK_START ? new Date(config.CLOCK_START) : new Date(), config.CLOCK_SPEED)
      : systemClock;
  // Outbound URLs are checked when given (services) and when connected to (provider agents, report pushes).
  const outbound = new OutboundGuard(outboundPolicy(config.ALLOW_PRIVATE_URLS, config.PRIVATE_URL_ALLOW_LIST));
  installOutboundGuard(outbound);
  const reportPush = new ReportPush(db, clock, logger, {
    retryBaseMs: config.REPORT_PUSH_RETRY_BASE_MS,
    giveUpAfterMs: config.REPORT_PUSH_GIVE_UP_AFTER_MS,
    timeoutMs: config.REPORT_PUSH_TIMEOUT_MS,
    outbound,
  }, observability);
  const outcomes = new OutcomeWriter(db, bus, clock, reportPush, observability);
  const reportIntake = new ReportIntake(db, bus, logger, outcomes, observability);
  const expiry = new ExpiryService(db, outcomes, clock);
  const connections = new ConnectionService(db, publicUrl, outbound);
  const providers = new ProviderRegistry(
    {
      config,
      reports: (report) => reportIntake.submitReports([report]),
      onReportError: (err) =>
        err instanceof UnknownAttemptError
          ? logger.warn({ err }, 'the built-in provider reported on an unknown attempt')
          : logger.error({ err }, 'a report of the built-in provider failed'),
    },
    (id) => connections.byId(id),
    (connection) => connections.webhookBase(connection),
  );
  const scenarios = new ScenarioService(db);
  const poller = new StatusPoller(db, providers, connections, reportIntake, clock, logger, config.STATUS_POLL_INTERVAL_MS);
  const claims = new Claims(lease);
  const inDoubt = new InDoubtResolver(db, providers, outcomes, claims, logger, clock, {
    claimLeaseMs: config.IN_DOUBT_CLAIM_LEASE_MS,
    lookupDelayMs: config.IN_DOUBT_LOOKUP_DELAY_MS,
    lookupRetryMs: config.IN_DOUBT_LOOKUP_RETRY_MS,
    outbound: outboundMessage,
  });
  const apiKeys = new ApiKeyService(db, clock, logger, bus);
  apiKeys.listen();
  const dispatcher = new Dispatcher(db, providers, outcomes, poller, logger, clock, { retryBaseMs: config.RETRY_BASE_MS, claims }, observability);
  const retention = new RetentionService(db, clock, logger, observability.metrics, {
    messagesDays: config.RETENTION_MESSAGES_DAYS,
    inboundDays: config.RETENTION_INBOUND_DAYS,
    eventDays: config.EVENT_RETENTION_DAYS,
    idempotencyKeyTtlHours: config.IDEMPOTENCY_KEY_TTL_HOURS,
    batchSize: config.RETENTION_BATCH_SIZE,
    intervalMs: config.RETENTION_INTERVAL_MS,
  });
  const send = new SendService(db, bus, scenarios, connections, clock, outbound, observability, config.IDEMPOTENCY_KEY_TTL_HOURS * 3600_000);
  return {
    accounts: new AccountService(db, apiKeys, outbound),
    apiKeys,
    scenarios,
    send,
    conversations: new ConversationService(db, bus, send),
    connections,
    providers,
    publicUrl,
    bulks: new BulkService(db, outcomes, bus, clock),
    reports: new ReportService(db, bus),
    inbound: new InboundService(db, bus),
    events: new EventService(db),
    reportPush,
    clock,
    outcomes,
    reportIntake,
    expiry,
    dispatcher,
    inDoubt,
    poller,
    bus,
    observability,
    retention,
    tasks: [dispatchTask(dispatcher), expireTask(expiry), pollTask(poller), pushReportTask(reportPush), retentionTask(retention), endApiKeyTask(apiKeys), inDoubtTask(inDoubt)],
    close: () => {
      providers.close();
      apiKeys.close();
    },
  };
}
