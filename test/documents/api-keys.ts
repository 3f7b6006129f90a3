import { graphql } from '../generated/index.js';

/** Key management operations for the API key tests. Typed by codegen (`npm run -s codegen`). */

export const ApiKeyList = graphql(`
  query ApiKeyList {
    apiKeys { id name prefix scopes createdAt lastUsedAt expiresAt revokedAt replacedBy }
  }
`);

export const CreateApiKey = graphql(`
  mutation CreateApiKey($name: String!, $scopes: [ApiKeyScope!]!) {
    createApiKey(name: $name, scopes: $scopes) {
      __typename
      ... on CreateApiKeySuccess { secret apiKey { id name prefix scopes createdAt lastUsedAt expiresAt revokedAt } }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);

export const RevokeApiKey = graphql(`
  mutation RevokeApiKey($id: String!) {
    revokeApiKey(id: $id) {
      __typename
      ... on RevokeApiKeySuccess { apiKey { id revokedAt } }
      ... on NotFoundError { resource key }
    }
  }
`);

export const RotateApiKey = graphql(`
  mutation RotateApiKey($id: String!, $gracePeriod: GracePeriodInput) {
    rotateApiKey(id: $id, gracePeriod: $gracePeriod) {
      __typename
      ... on RotateApiKeySuccess {
        secret
        apiKey { id name scopes expiresAt }
        previousKey { id expiresAt replacedBy }
      }
      ... on ValidationError { fieldErrors { path message } }
      ... on NotFoundError { resource key }
    }
  }
`);
