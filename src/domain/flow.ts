import type { Channel, ProviderType } from './channel.js';
import type { StepContent } from './content.js';
import type { StatusGroup } from './status.js';

/** A scenario step as the account configured it. */
export interface ScenarioStep {
  channel: Channel;
  from: string;
  /** Null means the channel's default. */
  validitySeconds: number | null;
  failoverOn: StatusGroup[];
  /** The provider connection that carries it; null means the account's default for the channel. */
  connectionId?: string | null;
}

/** A step as a message will execute it: everything resolved, nothing left to look up later. */
export interface FlowStep {
  channel: Channel;
  from: string;
  provider: ProviderType;
  /** Null: the built-in simulator. */
  connectionId: string | null;
  validitySeconds: number;
  failoverOn: StatusGroup[];
  content: StepContent;
}

export const MAX_FLOW_STEPS = 5;
export const DEFAULT_FAILOVER_ON: StatusGroup[] = ['REJECTED', 'UNDELIVERABLE', 'EXPIRED'];
