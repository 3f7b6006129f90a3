import { graphql } from '../generated/index.js';

/** Operations the tests (and the README) use, typed by codegen from schema/schema.graphql. */
export const CreateScenario = graphql(`
  mutation CreateScenario($input: CreateScenarioInput!) {
    createScenario(input: $input) {
      __typename
      ... on CreateScenarioSuccess {
        scenario { key name isDefault flow { channel from validityPeriod { amount timeUnit } failoverOn } }
      }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const UpdateScenario = graphql(`
  mutation UpdateScenario($key: String!, $input: UpdateScenarioInput!) {
    updateScenario(key: $key, input: $input) {
      __typename
      ... on UpdateScenarioSuccess { scenario { key name isDefault flow { channel from } } }
      ... on NotFoundError { message resource key }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);

export const DeleteScenario = graphql(`
  mutation DeleteScenario($key: String!) {
    deleteScenario(key: $key) {
      __typename
      ... on DeleteScenarioSuccess { scenario { key } }
      ... on NotFoundError { message resource key }
    }
  }
`);

export const GetScenario = graphql(`
  query GetScenario($key: String!) {
    scenario(key: $key) { key name isDefault }
  }
`);

export const ListScenarios = graphql(`
  query ListScenarios($first: Int, $after: String) {
    scenarios(first: $first, after: $after) {
      edges { cursor node { key name isDefault } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const SendMessage = graphql(`
  mutation SendMessage($input: SendMessageInput!) {
    sendMessage(input: $input) {
      __typename
      ... on SendMessageSuccess { bulkId messages { messageId to status { groupName name } } }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const MessageFields = graphql(`
  fragment MessageFields on Message {
    messageId bulkId to channel callbackData sentAt doneAt seenAt
    status { groupId groupName id name description }
    error { groupName name description permanent }
    attempts { step channel from provider status { groupName name } error { name permanent } sentAt doneAt }
  }
`);

export const GetMessage = graphql(`
  query GetMessage($messageId: String!) {
    message(messageId: $messageId) { ...MessageFields }
  }
`);

export const ListMessages = graphql(`
  query ListMessages($filter: MessageFilter, $first: Int, $after: String) {
    messages(filter: $filter, first: $first, after: $after) {
      edges { cursor node { ...MessageFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const OnMessageStatus = graphql(`
  subscription OnMessageStatus($filter: MessageEventFilter) {
    messageStatusChanged(filter: $filter) {
      occurredAt
      attempt { channel status { groupName name } }
      message { messageId to channel status { groupName name } }
    }
  }
`);
