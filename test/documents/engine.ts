import { graphql } from '../generated/index.js';

/**
 * Operations the delivery-engine integration tests (test/integration/engine/) use: bulks, scheduling,
 * speed limits, delivery windows, idempotency, report push and bulk progress. Typed by codegen
 * (`npm run -s codegen`).
 */

export const EngineCreateScenario = graphql(`
  mutation EngineCreateScenario($input: CreateScenarioInput!) {
    createScenario(input: $input) {
      __typename
      ... on CreateScenarioSuccess { scenario { key name isDefault } }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const EngineSendMessage = graphql(`
  mutation EngineSendMessage($input: SendMessageInput!) {
    sendMessage(input: $input) {
      __typename
      ... on SendMessageSuccess { bulkId messages { messageId to status { groupName name } } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on IdempotencyConflictError { message key }
      ... on NotFoundError { message }
    }
  }
`);

export const EngineSendMessages = graphql(`
  mutation EngineSendMessages($input: SendMessagesInput!) {
    sendMessages(input: $input) {
      __typename
      ... on SendMessageSuccess { bulkId messages { messageId to status { groupName name } } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on IdempotencyConflictError { message key }
      ... on NotFoundError { message }
    }
  }
`);

export const EngineBulkFields = graphql(`
  fragment EngineBulkFields on Bulk {
    bulkId status sendAt createdAt
    sendingSpeedLimit { amount timeUnit }
    counters { total accepted pending delivered undeliverable expired rejected }
  }
`);

export const EngineAttemptFields = graphql(`
  fragment EngineAttemptFields on Attempt {
    step channel from status { groupName name } error { name } scheduledAt sentAt doneAt expiresAt
  }
`);

export const EngineBulk = graphql(`
  query EngineBulk($bulkId: String!, $first: Int) {
    bulk(bulkId: $bulkId) {
      ...EngineBulkFields
      messages(first: $first) {
        edges {
          node {
            messageId bulkId to channel callbackData scenarioKey sentAt doneAt
            status { groupName name }
            attempts { ...EngineAttemptFields }
          }
        }
        pageInfo { hasNextPage }
      }
    }
  }
`);

export const EnginePauseBulk = graphql(`
  mutation EnginePauseBulk($bulkId: String!) {
    pauseBulk(bulkId: $bulkId) {
      __typename
      ... on PauseBulkSuccess { bulk { ...EngineBulkFields } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on NotFoundError { message }
    }
  }
`);

export const EngineResumeBulk = graphql(`
  mutation EngineResumeBulk($bulkId: String!) {
    resumeBulk(bulkId: $bulkId) {
      __typename
      ... on ResumeBulkSuccess { bulk { ...EngineBulkFields } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on NotFoundError { message }
    }
  }
`);

export const EngineRescheduleBulk = graphql(`
  mutation EngineRescheduleBulk($bulkId: String!, $sendAt: DateTime!) {
    rescheduleBulk(bulkId: $bulkId, sendAt: $sendAt) {
      __typename
      ... on RescheduleBulkSuccess { bulk { ...EngineBulkFields } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on NotFoundError { message }
    }
  }
`);

export const EngineCancelBulk = graphql(`
  mutation EngineCancelBulk($bulkId: String!) {
    cancelBulk(bulkId: $bulkId) {
      __typename
      ... on CancelBulkSuccess { bulk { ...EngineBulkFields } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on NotFoundError { message }
    }
  }
`);

export const EngineMessage = graphql(`
  query EngineMessage($messageId: String!) {
    message(messageId: $messageId) {
      messageId bulkId to channel callbackData sentAt doneAt
      status { groupName name }
      attempts { ...EngineAttemptFields }
      reportDeliveries {
        url state tries deliveredAt nextTryAt
        attempts { attemptedAt statusCode error durationMs }
      }
    }
  }
`);

export const EngineAccount = graphql(`
  query EngineAccount {
    account { name deliveryWebhookUrl webhookSigningSecret }
  }
`);

export const EngineUpdateAccount = graphql(`
  mutation EngineUpdateAccount($input: UpdateAccountInput!) {
    updateAccount(input: $input) {
      __typename
      ... on UpdateAccountSuccess { account { deliveryWebhookUrl webhookSigningSecret } }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const EngineBulkProgress = graphql(`
  subscription EngineBulkProgress($bulkId: String!) {
    bulkProgress(bulkId: $bulkId) { ...EngineBulkFields }
  }
`);

export const EngineMessageStatusChanged = graphql(`
  subscription EngineMessageStatusChanged($filter: MessageEventFilter) {
    messageStatusChanged(filter: $filter) {
      occurredAt
      message { messageId status { groupName name } }
      attempt { channel status { name } }
    }
  }
`);
