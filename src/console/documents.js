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

/** Newest first: `after` pages back to older messages. */
export const TIMELINE = `query ConsoleTimeline($id: ID!, $first: Int, $after: String) {
  conversation(id: $id) { ${CONVERSATION} timeline(first: $first, after: $after) {
    edges { node { ${ITEM} } } pageInfo { hasNextPage endCursor } } }
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
    ... on ReplyToConversationSuccess { sent: message { __typename ${OUTBOUND} } }
    ... on ValidationError { message fieldErrors { path message } }
    ... on Error { message }
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

/** The reply's content: the same text for Viber and SMS, so it goes out whichever channel the person used. */
export function replyContent(text) {
  return { viber: { text: { text } }, sms: { text } };
}

const SENT_TEXTS = 'omnigate.console.sentTexts';
const SENT_TEXTS_KEPT = 500;

/**
 * The API does not return what a message said (Message has no content field), so the console remembers
 * the text of each reply it sent, in this tab's session, by message id.
 */
export function rememberSentText(messageId, text) {
  const texts = readSentTexts();
  texts[messageId] = text;
  const ids = Object.keys(texts);
  for (const id of ids.slice(0, Math.max(0, ids.length - SENT_TEXTS_KEPT))) delete texts[id];
  try {
    sessionStorage.setItem(SENT_TEXTS, JSON.stringify(texts));
  } catch {
    // Storage full or unavailable: the text is still shown until the page reloads.
  }
}

function readSentTexts() {
  try {
    return JSON.parse(sessionStorage.getItem(SENT_TEXTS) ?? '{}') ?? {};
  } catch {
    return {};
  }
}

/** The text of an outbound message when this tab sent it; null for messages sent elsewhere. */
export function outboundText(message) {
  return readSentTexts()[message.messageId] ?? null;
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
