import type { Scope } from '../domain/scopes.js';

/**
 * A root field a key may use when it holds `scope`, or — for `alternative.scope` — when the call's
 * arguments keep to `alternative.rule`.
 */
export interface FieldAccess {
  scope: Scope;
  alternative?: { scope: Scope; rule: string; allows: (args: Record<string, unknown>) => boolean };
}

const need = (scope: Scope): FieldAccess => ({ scope });

/** A support console replies to one person: `sendMessage` to a single destination, never a campaign. */
const sendOrConsoleReply: FieldAccess = {
  scope: 'send',
  alternative: {
    scope: 'console',
    rule: 'to a single destination',
    allows: (args) => {
      const input = args.input as { destinations?: unknown[] } | undefined;
      return Array.isArray(input?.destinations) && input.destinations.length === 1;
    },
  },
};

/**
 * Conversation work (reading, replying to one person): a console's job, and any sender's. `console` is
 * the scope needed; a `send` key may too, since what it could already do (sendMessage to that person) is more.
 */
const consoleOrSend: FieldAccess = {
  scope: 'console',
  alternative: { scope: 'send', rule: 'a reply to one person', allows: () => true },
};

/**
 * THE place where each root field gets its scope. The scope guard (scope-guard.ts) refuses an operation
 * before any resolver runs when the key lacks the scope of one of its root fields; a root field missing
 * here needs `admin`, and test/integration/scopes.test.ts fails until it is given a scope.
 */
export const ROOT_FIELD_SCOPES = {
  Query: {
    account: need('admin'),
    apiKeys: need('admin'),
    bulk: need('read'),
    events: need('read'),
    conversation: need('read'),
    conversations: need('read'),
    inboundMessages: need('read'),
    message: need('read'),
    messages: need('read'),
    previewSms: need('read'),
    providerConnection: need('admin'),
    providerConnections: need('admin'),
    scenario: need('read'),
    scenarios: need('read'),
    viberSubscribers: need('read'),
  },
  Mutation: {
    cancelBulk: need('send'),
    configureProviderConnection: need('admin'),
    createApiKey: need('admin'),
    createScenario: need('admin'),
    deleteProviderConnection: need('admin'),
    deleteScenario: need('admin'),
    // A reply goes to one person, like the console's single-destination sendMessage; `send` holds it too.
    markConversationRead: consoleOrSend,
    pauseBulk: need('send'),
    replyToConversation: consoleOrSend,
    rescheduleBulk: need('send'),
    resumeBulk: need('send'),
    revokeApiKey: need('admin'),
    rotateApiKey: need('admin'),
    rotateWebhookSigningSecret: need('admin'),
    setApiKeyRateLimits: need('admin'),
    sendMessage: sendOrConsoleReply,
    sendMessages: need('send'),
    setViberWebhook: need('admin'),
    updateAccount: need('admin'),
    updateProviderConnection: need('admin'),
    updateScenario: need('admin'),
  },
  Subscription: {
    bulkProgress: need('read'),
    conversationUpdated: need('read'),
    inboundMessageReceived: need('read'),
    messageStatusChanged: need('read'),
  },
} satisfies Record<'Query' | 'Mutation' | 'Subscription', Record<string, FieldAccess>>;

export type RootTypeName = keyof typeof ROOT_FIELD_SCOPES;

/** Fields not in the table need admin: a new field is never open to every key by omission. */
const UNLISTED: FieldAccess = { scope: 'admin' };

export function accessOf(rootType: RootTypeName, field: string): FieldAccess {
  return (ROOT_FIELD_SCOPES[rootType] as Record<string, FieldAccess>)[field] ?? UNLISTED;
}

export function isListed(rootType: RootTypeName, field: string): boolean {
  return Object.hasOwn(ROOT_FIELD_SCOPES[rootType], field);
}
