import { graphql } from '../generated/index.js';

/**
 * Operations of the report-details tests (test/integration/providers/report-details.test.ts,
 * test/integration/engine/transient-errors.test.ts, test/integration/engine/report-push-errors.test.ts):
 * price, network and parts per attempt and per message, tries, the last transient error and report
 * push tries. Typed by codegen (`npm run -s codegen`).
 */

export const DetailsAttemptFields = graphql(`
  fragment DetailsAttemptFields on Attempt {
    attemptId step channel provider providerMessageId messageCount mccMnc tries
    status { groupName name }
    price { pricePerMessage currency }
    lastTransientError { message at }
  }
`);

export const DetailsMessageFields = graphql(`
  fragment DetailsMessageFields on Message {
    messageId channel messageCount mccMnc
    status { groupName name }
    price { pricePerMessage currency }
    attempts { ...DetailsAttemptFields }
    reportDeliveries { url state tries attempts { statusCode error errorCode } }
  }
`);

export const DetailsMessages = graphql(`
  query DetailsMessages($filter: MessageFilter) {
    messages(filter: $filter, first: 10) { edges { node { ...DetailsMessageFields } } }
  }
`);

export const DetailsOnMessageStatus = graphql(`
  subscription DetailsOnMessageStatus($filter: MessageEventFilter) {
    messageStatusChanged(filter: $filter) {
      occurredAt
      attempt { step status { groupName } messageCount mccMnc price { pricePerMessage currency } }
      message { messageId status { groupName } messageCount mccMnc price { pricePerMessage currency } }
    }
  }
`);

export const DetailsSendMessage = graphql(`
  mutation DetailsSendMessage($input: SendMessageInput!) {
    sendMessage(input: $input) {
      __typename
      ... on SendMessageSuccess { bulkId messages { messageId } }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const DetailsSendMessages = graphql(`
  mutation DetailsSendMessages($input: SendMessagesInput!) {
    sendMessages(input: $input) {
      __typename
      ... on SendMessageSuccess { bulkId messages { messageId } }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);
