import { graphql } from '../generated/index.js';

/**
 * Operations the foundation's integration tests (auth, validation, scenarios, restart, multi-instance)
 * need beyond test/documents/operations.ts. Typed by codegen (`npm run -s codegen`).
 */

export const ScenarioWithFlow = graphql(`
  query ScenarioWithFlow($key: String!) {
    scenario(key: $key) {
      key name isDefault createdAt updatedAt
      flow { channel from validityPeriod { amount timeUnit } failoverOn }
    }
  }
`);

export const ScenarioPage = graphql(`
  query ScenarioPage($first: Int, $after: String) {
    scenarios(first: $first, after: $after) {
      edges { cursor node { key name isDefault } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`);

export const UpdateScenarioFlow = graphql(`
  mutation UpdateScenarioFlow($key: String!, $input: UpdateScenarioInput!) {
    updateScenario(key: $key, input: $input) {
      __typename
      ... on UpdateScenarioSuccess {
        scenario { key name isDefault flow { channel from validityPeriod { amount timeUnit } failoverOn } }
      }
      ... on NotFoundError { message resource key }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const DeleteScenarioResult = graphql(`
  mutation DeleteScenarioResult($key: String!) {
    deleteScenario(key: $key) {
      __typename
      ... on DeleteScenarioSuccess { scenario { key name } }
      ... on NotFoundError { message resource key }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const MessageTrace = graphql(`
  query MessageTrace($messageId: String!) {
    message(messageId: $messageId) {
      messageId bulkId to channel scenarioKey
      status { groupName name }
      attempts { step channel from provider status { groupName name } }
    }
  }
`);
