import type { StepContent } from './content.js';

/**
 * How a provider classes a Viber business message. Providers price and route the two differently, and
 * DecisionTelecom calls it `source_type`; the Viber REST Bot API has no such class (a bot writes to its
 * own subscribers, so there is nothing to declare).
 */
export const VIBER_LABELS = ['PROMOTIONAL', 'TRANSACTIONAL'] as const;
export type ViberLabel = (typeof VIBER_LABELS)[number];

/**
 * The label when the client names none: content made to advertise (an image with a call-to-action
 * button, a carousel) is PROMOTIONAL, everything else TRANSACTIONAL.
 */
export function defaultViberLabel(content: StepContent): ViberLabel {
  return content.type === 'RICH' || content.type === 'CAROUSEL' ? 'PROMOTIONAL' : 'TRANSACTIONAL';
}

/** The label a message goes out with: the client's choice, else the default for its content. */
export function viberLabelFor(content: StepContent, chosen: ViberLabel | null | undefined): ViberLabel {
  return chosen ?? defaultViberLabel(content);
}

/**
 * Infobip's CPaaS X application and entity a message is accounted to (its `options.platform`). Other
 * providers have no such notion and never see it.
 */
export interface InfobipPlatform {
  entityId?: string | null;
  applicationId?: string | null;
}
