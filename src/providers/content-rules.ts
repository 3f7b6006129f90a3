import type { ProviderType } from '../domain/channel.js';
import type { StepContent } from '../domain/content.js';
import type { ContentProblem } from './module.js';
import { moduleFor } from './registry.js';

export type { ContentProblem } from './module.js';

/** Limits of the provider that will carry a step, checked when the message is accepted. */
export function contentProblems(provider: ProviderType, content: StepContent): ContentProblem[] {
  return moduleFor(provider).contentProblems(content);
}

export function senderProblems(provider: ProviderType, from: string): ContentProblem[] {
  return moduleFor(provider).senderProblems(from);
}
