import { graphql } from '../generated/index.js';

/**
 * Operations the provider end-to-end tests (test/integration/providers/) use: provider connections, the
 * Viber webhook and subscriber registry, inbound messages, and messages with their attempts' provider
 * ids. Typed by codegen (`npm run -s codegen`).
 */

export const ProviderConfigureConnection = graphql(`
  mutation ProviderConfigureConnection($input: ConfigureProviderConnectionInput!) {
    configureProviderConnection(input: $input) {
      __typename
      ... on ConfigureProviderConnectionSuccess {
        connection {
          id name type baseUrl channels hasCredentials twoWay callbackAuthorization
          webhookUrls { purpose url }
        }
      }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const ProviderSetViberWebhook = graphql(`
  mutation ProviderSetViberWebhook($connectionId: String!) {
    setViberWebhook(connectionId: $connectionId) {
      __typename
      ... on SetViberWebhookSuccess { connection { id webhookUrls { purpose url } } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on NotFoundError { message }
    }
  }
`);

export const ProviderViberSubscribers = graphql(`
  query ProviderViberSubscribers($connectionId: String!, $subscribed: Boolean) {
    viberSubscribers(connectionId: $connectionId, subscribed: $subscribed) {
      userId name avatar country language apiVersion subscribed subscribedAt unsubscribedAt lastSeenAt
    }
  }
`);

export const ProviderCreateScenario = graphql(`
  mutation ProviderCreateScenario($input: CreateScenarioInput!) {
    createScenario(input: $input) {
      __typename
      ... on CreateScenarioSuccess { scenario { key flow { channel from connectionId } } }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const ProviderSendMessage = graphql(`
  mutation ProviderSendMessage($input: SendMessageInput!) {
    sendMessage(input: $input) {
      __typename
      ... on SendMessageSuccess { bulkId messages { messageId to status { groupName name } } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on IdempotencyConflictError { message }
      ... on NotFoundError { message }
    }
  }
`);

export const ProviderAttemptFields = graphql(`
  fragment ProviderAttemptFields on Attempt {
    attemptId step channel from provider providerMessageId messageCount seenAt sentAt doneAt
    status { groupName name }
    error { groupName name description permanent }
  }
`);

export const ProviderMessage = graphql(`
  query ProviderMessage($messageId: String!) {
    message(messageId: $messageId) {
      messageId to toViberUserId channel seenAt sentAt doneAt callbackData
      status { groupId groupName id name }
      error { groupName name description permanent }
      attempts { ...ProviderAttemptFields }
    }
  }
`);

export const ProviderOnMessageStatus = graphql(`
  subscription ProviderOnMessageStatus($filter: MessageEventFilter) {
    messageStatusChanged(filter: $filter) {
      occurredAt
      attempt { ...ProviderAttemptFields }
      message { messageId channel seenAt status { groupName name } }
    }
  }
`);

export const ProviderInboundFields = graphql(`
  fragment ProviderInboundFields on InboundMessage {
    id provider channel from to receivedAt pairedMessageId
    content { type text url fileName sizeBytes durationSeconds latitude longitude address name phoneNumber stickerId }
  }
`);

export const ProviderInboundMessages = graphql(`
  query ProviderInboundMessages($filter: InboundMessageFilter, $first: Int) {
    inboundMessages(filter: $filter, first: $first) {
      edges { node { ...ProviderInboundFields } }
    }
  }
`);

export const ProviderOnInbound = graphql(`
  subscription ProviderOnInbound($filter: InboundMessageEventFilter) {
    inboundMessageReceived(filter: $filter) { ...ProviderInboundFields }
  }
`);
