// The GraphQL the console sends, in one place (the shared contract: conversations, events, replies).

const CONTACT = 'contact { address phoneNumber viberUserId name }';

const OUTBOUND = `
  messageId to channel createdAt sentAt doneAt seenAt
  status { groupName name description }
  attempts { step channel status { groupName name } }`;

const INBOUND = `
  id cursor from to channel receivedAt
  content { type text url fileName name }`;

const ITEM = `
  __typename
  ... on InboundMessage { ${INBOUND} }
  ... on Message { ${OUTBOUND} }`;

const CONVERSATION = `
  id channel lastActivityAt unreadCount
  ${CONTACT}
  lastMessage { ${ITEM} }`;

export const WHO_AM_I = `query ConsoleSignIn { conversations(first: 1) { edges { node { id } } } }`;

/** Where the account's event log ends now: the live feeds start there (one log, one position for all). */
export const LOG_HEAD = `query ConsoleLogHead { events(last: 1) { pageInfo { endCursor } } }`;

export const CONVERSATIONS = `query ConsoleConversations($first: Int) {
  conversations(first: $first) { edges { node { ${CONVERSATION} } } }
}`;

export const TIMELINE = `query ConsoleTimeline($id: ID!, $first: Int) {
  conversation(id: $id) { ${CONVERSATION} timeline(first: $first) { edges { node { ${ITEM} } } } }
}`;

export const MARK_READ = `mutation ConsoleMarkRead($id: ID!) {
  markConversationRead(conversationId: $id) {
    __typename
    ... on MarkConversationReadSuccess { conversation { ${CONVERSATION} } }
  }
}`;

export const REPLY = `mutation ConsoleReply($id: ID!, $content: ReplyContentInput!) {
  replyToConversation(conversationId: $id, content: $content) {
    __typename
    ... on ReplyToConversationSuccess { message { __typename ${OUTBOUND} } }
    ... on ValidationError { fieldErrors { path message } }
    ... on NotFoundError { message }
  }
}`;

export const ON_CONVERSATION = `subscription ConsoleConversationUpdated($after: String) {
  conversationUpdated(after: $after) { cursor occurredAt conversation { ${CONVERSATION} } }
}`;

export const ON_INBOUND = `subscription ConsoleInbound($after: String) {
  inboundMessageReceived(after: $after) { __typename ${INBOUND} }
}`;

export const ON_STATUS = `subscription ConsoleStatus($after: String) {
  messageStatusChanged(after: $after) { cursor message { ${OUTBOUND} } }
}`;

/** The reply's content, as replyToConversation takes it. */
export function replyContent(text) {
  return { text };
}

/** The text of an outbound message as the agent wrote it. */
export function outboundText(message) {
  return message.text ?? '';
}

/** Whether a live inbound message belongs to this conversation: the same person wrote it. */
export function belongsTo(inbound, conversation) {
  return Boolean(conversation) && inbound.from === conversation.contact?.address;
}

/** One sentence for a typed error result. */
export function describeError(result) {
  if (result.fieldErrors?.length) return result.fieldErrors.map((e) => `${e.path.join('.')}: ${e.message}`).join('; ');
  return result.message ?? `Not sent (${result.__typename}).`;
}
