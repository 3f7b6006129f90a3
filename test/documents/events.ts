import { graphql } from '../generated/index.js';

/** Documents of the event-log tests: resumable subscriptions and the events query. */

export const ResumeMessageStatus = graphql(`
  subscription ResumeMessageStatus($filter: MessageEventFilter, $after: String) {
    messageStatusChanged(filter: $filter, after: $after) {
      cursor
      seen
      occurredAt
      attempt { attemptId channel status { name } }
      message { messageId status { name } }
    }
  }
`);

export const ResumeInbound = graphql(`
  subscription ResumeInbound($after: String) {
    inboundMessageReceived(after: $after) { id cursor from }
  }
`);

export const EventsPage = graphql(`
  query EventsPage($after: String, $first: Int, $filter: EventFilter) {
    events(after: $after, first: $first, filter: $filter) {
      edges {
        cursor
        node {
          __typename
          cursor
          occurredAt
          ... on MessageStatusEvent { seen message { messageId } attempt { attemptId channel status { name } } }
          ... on InboundMessageEvent { inboundMessage { id cursor } }
          ... on ConversationEvent { conversation { id unreadCount } }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const EventsSendMessage = graphql(`
  mutation EventsSendMessage($input: SendMessageInput!) {
    sendMessage(input: $input) {
      __typename
      ... on SendMessageSuccess { bulkId }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);
