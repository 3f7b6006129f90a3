import { FakeServer } from './fake-server.js';

/**
 * A fake provider whose answers are scripted per destination: one-shot outcomes are used first, in
 * order, then the destination's persistent outcome, then the default for everyone. Every message the
 * fake took is kept in `sent`. What a destination key is (Viber receiver id, Infobip `to` digits,
 * DecisionTelecom `destination_addr`) and what an outcome can say is each fake's own.
 */
export abstract class ScriptedFakeServer<Outcome, Sent> extends FakeServer {
  readonly sent: Sent[] = [];
  private readonly scripts = new Map<string, Outcome>();
  private readonly onceScripts = new Map<string, Outcome[]>();
  private defaultOutcome: Outcome;

  constructor(private readonly initialDefault: Outcome) {
    super();
    this.defaultOutcome = initialDefault;
  }

  /** Persistent outcome for every message to `destination` (after any scriptOnce entries are used up). */
  script(destination: string, outcome: Outcome): this {
    this.scripts.set(destination, outcome);
    return this;
  }

  /** Queue one-shot outcomes for `destination`, consumed in order before the persistent script. */
  scriptOnce(destination: string, ...outcomes: Outcome[]): this {
    this.onceScripts.set(destination, [...(this.onceScripts.get(destination) ?? []), ...outcomes]);
    return this;
  }

  /** The outcome for destinations without a script of their own. */
  setDefaultOutcome(outcome: Outcome): this {
    this.defaultOutcome = outcome;
    return this;
  }

  /** Forgets requests, violations, sent messages and every script; fakes with more state extend it. */
  reset(): void {
    this.clearRecords();
    this.sent.length = 0;
    this.scripts.clear();
    this.onceScripts.clear();
    this.defaultOutcome = this.initialDefault;
  }

  /** Takes the next outcome for `destination`, using up a one-shot script if one is queued. */
  protected outcomeFor(destination: string): Outcome {
    const queue = this.onceScripts.get(destination);
    if (queue && queue.length > 0) return queue.shift() as Outcome;
    return this.scripts.get(destination) ?? this.defaultOutcome;
  }
}
