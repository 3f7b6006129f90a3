import type { ProviderType } from '../domain/channel.js';
import { VIBER_TEXT_MAX, type StepContent } from '../domain/content.js';
import { validateDecisionTelecomContent, validateDecisionTelecomSender } from './decisiontelecom/validate.js';
import { validateInfobipContent } from './infobip/validate.js';
import { validateViberBotContent } from './viber-bot/validate.js';

export interface ContentProblem {
  /** Relative to the content object; field names match the GraphQL content inputs. */
  path: string[];
  message: string;
}

/**
 * The simulator takes every content type but holds text to the 1000 characters Infobip and
 * DecisionTelecom allow, so a flow tried on the simulator does not fail later on a real provider.
 */
function validateSimulatorContent(content: StepContent): ContentProblem[] {
  if ((content.type === 'TEXT' || content.type === 'RICH') && [...content.text].length > VIBER_TEXT_MAX) {
    return [{ path: ['text'], message: `must be at most ${VIBER_TEXT_MAX} characters` }];
  }
  return [];
}

/** Limits of the provider that will carry a step, checked when the message is accepted. */
export function contentProblems(provider: ProviderType, content: StepContent): ContentProblem[] {
  switch (provider) {
    case 'SIMULATOR':
      return validateSimulatorContent(content);
    case 'VIBER_BOT':
      return validateViberBotContent(content);
    case 'INFOBIP':
      return validateInfobipContent(content);
    case 'DECISIONTELECOM':
      return validateDecisionTelecomContent(content);
  }
}

export function senderProblems(provider: ProviderType, from: string): ContentProblem[] {
  if (provider === 'DECISIONTELECOM') return validateDecisionTelecomSender(from);
  return [];
}
