import { graphql } from '../generated/index.js';

/** Operations the conversation tests use (test/integration/conversations.test.ts). Typed by codegen. */

export const ConversationFields = graphql(`
  fragment ConversationFields on Conversation {
    id channel unreadCount lastActivityAt
    contact { address phoneNumber viberUserId name }
    lastMessage {
      __typename
      ... on InboundMessage { id from content { type text } receivedAt }
      ... on Message { messageId to channel status { groupName name } createdAt }
    }
  }
`);

export const ConversationList = graphql(`
  query ConversationList($filter: ConversationFilter, $first: Int, $after: String) {
    conversations(filter: $filter, first: $first, after: $after) {
      edges { cursor node { ...ConversationFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const ConversationTimeline = graphql(`
  query ConversationTimeline($id: ID!, $first: Int, $after: String) {
    conversation(id: $id) {
      ...ConversationFields
      timeline(first: $first, after: $after) {
        edges {
          cursor
          node {
            __typename
            ... on InboundMessage { id from channel content { type text } receivedAt }
            ... on Message { messageId to channel status { groupName name } createdAt attempts { provider channel } }
          }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

export const MarkConversationRead = graphql(`
  mutation MarkConversationRead($conversationId: ID!) {
    markConversationRead(conversationId: $conversationId) {
      __typename
      ... on MarkConversationReadSuccess { conversation { id unreadCount } }
      ... on NotFoundError { message resource key }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const ReplyToConversation = graphql(`
  mutation ReplyToConversation($conversationId: ID!, $content: ReplyContentInput!) {
    replyToConversation(conversationId: $conversationId, content: $content) {
      __typename
      ... on ReplyToConversationSuccess { reply: message { messageId to channel status { groupName name } } }
      ... on ConversationNotReplyableError { message conversationId reason }
      ... on NotFoundError { message resource key }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const OnConversationUpdated = graphql(`
  subscription OnConversationUpdated($after: String) {
    conversationUpdated(after: $after) {
      cursor occurredAt
      conversation { ...ConversationFields }
    }
  }
`);

export const ConversationDeleteConnection = graphql(`
  mutation ConversationDeleteConnection($id: String!) {
    deleteProviderConnection(id: $id) { __typename }
  }
`);
