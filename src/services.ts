import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { Database } from './db/schema.js';
import type { EventBus } from './events/bus.js';
import type { Logger } from './logger.js';
import { scaledClock, systemClock, type Clock } from './domain/clock.js';
import { AccountService } from './messaging/accounts.js';
import { BulkService } from './messaging/bulks.js';
import { InboundService } from './messaging/inbound.js';
import { ConnectionService } from './messaging/connections.js';
import { StatusPoller } from './messaging/polling.js';
import { ReportPush } from './messaging/report-push.js';
import { Dispatcher } from './messaging/dispatch.js';
import { ReportService } from './messaging/reports.js';
import { ScenarioService } from './messaging/scenarios.js';
import { SendService } from './messaging/send.js';
import { StatusUpdates, UnknownAttemptError } from './messaging/status-updates.js';
import { ProviderRegistry } from './providers/registry.js';
import { SimulatorProvider } from './providers/simulator/simulator.js';
import { installOutboundGuard } from './providers/http-client.js';
import { outboundPolicy } from './net/address-policy.js';
import { guardedDispatcher } from './net/guarded-dispatcher.js';
import { OutboundGuard } from './net/outbound-guard.js';

export interface Services {
  accounts: AccountService;
  scenarios: ScenarioService;
  send: SendService;
  connections: ConnectionService;
  providers: ProviderRegistry;
  /** The base URL providers reach us at (webhook URLs are built from it). */
  publicUrl: () => string;
  bulks: BulkService;
  reports: ReportService;
  inbound: InboundService;
  reportPush: ReportPush;
  clock: Clock;
  statusUpdates: StatusUpdates;
  dispatcher: Dispatcher;
  poller: StatusPoller;
  bus: EventBus;
  /** Stops in-process timers (the simulator's pending reports). */
  close(): void;
}

/** The composition root of the domain: every service wired to its collaborators, once. */
export function createServices(db: Kysely<Database>, bus: EventBus, logger: Logger, config: Config, publicUrl: () => string): Services {
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
    ...(outbound.checksAddresses ? { dispatcher: guardedDispatcher(outbound) } : {}),
  });
  const statusUpdates = new StatusUpdates(db, bus, logger, clock, reportPush);
  const simulator = new SimulatorProvider(
    {
      deliveryDelayMs: config.SIMULATOR_DELIVERY_DELAY_MS,
      seenDelayMs: config.SIMULATOR_SEEN_DELAY_MS,
      replyDelayMs: config.SIMULATOR_REPLY_DELAY_MS,
    },
    (report) => statusUpdates.submitReports([report]),
    (err) =>
      err instanceof UnknownAttemptError
        ? logger.warn({ err }, 'simulator report for an unknown attempt')
        : logger.error({ err }, 'simulator report failed'),
  );
  const connections = new ConnectionService(db, outbound);
  const providers = new ProviderRegistry(simulator, (id) => connections.byId(id), publicUrl);
  const scenarios = new ScenarioService(db);
  const poller = new StatusPoller(db, providers, connections, statusUpdates, clock, logger, config.STATUS_POLL_INTERVAL_MS);
  return {
    accounts: new AccountService(db, outbound),
    scenarios,
    send: new SendService(db, scenarios, connections, clock, outbound),
    connections,
    providers,
    publicUrl,
    bulks: new BulkService(db, statusUpdates, bus, clock),
    reports: new ReportService(db),
    inbound: new InboundService(db),
    reportPush,
    clock,
    statusUpdates,
    dispatcher: new Dispatcher(db, providers, statusUpdates, poller, logger, clock, { retryBaseMs: config.RETRY_BASE_MS }),
    poller,
    bus,
    close: () => simulator.close(),
  };
}
