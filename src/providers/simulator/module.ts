import type { ProviderHost, ProviderModule } from '../module.js';
import { SimulatorProvider } from './simulator.js';
import { validateSimulatorContent } from './validate.js';

/**
 * The built-in provider: it carries every step for which the account has no connection, needs no
 * network, and reports through the host's sink as real providers' callbacks do.
 */
export const simulatorModule = {
  type: 'SIMULATOR',
  channels: ['VIBER', 'SMS'],
  defaultBaseUrl: 'simulator:',
  requiredCredential: null,
  addressing: 'phoneNumber',
  createAdapter: () => {
    throw new Error('the simulator is built in; it has no per-connection adapter');
  },
  /** The one simulator of a running service; its pending reports stop with close(). */
  createBuiltIn: (host: ProviderHost): SimulatorProvider =>
    new SimulatorProvider(
      {
        deliveryDelayMs: host.config.SIMULATOR_DELIVERY_DELAY_MS,
        seenDelayMs: host.config.SIMULATOR_SEEN_DELAY_MS,
        replyDelayMs: host.config.SIMULATOR_REPLY_DELAY_MS,
      },
      host.reports,
      (err) => host.onReportError(err),
    ),
  webhooks: null,
  contentProblems: validateSimulatorContent,
  senderProblems: () => [],
} as const satisfies ProviderModule & { createBuiltIn(host: ProviderHost): SimulatorProvider };
