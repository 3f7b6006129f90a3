import { VIBER_TEXT_MAX, type StepContent } from '../../domain/content.js';
import type { ContentProblem } from '../module.js';

/**
 * The simulator takes every content type but holds text to the 1000 characters Infobip and
 * DecisionTelecom allow, so a flow tried on the simulator does not fail later on a real provider.
 */
export function validateSimulatorContent(content: StepContent): ContentProblem[] {
  if ((content.type === 'TEXT' || content.type === 'RICH') && [...content.text].length > VIBER_TEXT_MAX) {
    return [{ path: ['text'], message: `must be at most ${VIBER_TEXT_MAX} characters` }];
  }
  return [];
}
