// The support console: sign in with an API key, conversations updating live, a conversation's timeline
// with each reply's status, and a reply box. Plain DOM, no framework: the page is small and must load
// from this server alone.
import { ApiError, graphql, websocketUrl } from './api.js';
import { LiveFeeds } from './live.js';
import * as doc from './documents.js';
import { replyStatus } from './reply-status.js';

const KEY_STORAGE = 'omnigate.console.apiKey';
const TIMELINE_PAGE = 100;
const LIST_PAGE = 100;

const $ = (id) => document.getElementById(id);

const state = {
  apiKey: null,
  /** @type {Map<string, object>} conversations by id */
  conversations: new Map(),
  selectedId: null,
  /** @type {Map<string, object>} timeline items of the selected conversation, by itemKey */
  timeline: new Map(),
  filter: { search: '', unreadOnly: false },
  live: null,
  /** Bumped on every selection: answers for an earlier selection are dropped. */
  selection: 0,
  /** Where the open conversation's older messages start (null: all shown). */
  olderCursor: null,
};

// ── Items ────────────────────────────────────────────────────────────────────────────────────────────

/** One key per timeline item, whichever way it arrived (query, reply, live event). */
function itemKey(item) {
  return item.__typename === 'InboundMessage' ? `in:${item.id}` : `out:${item.messageId}`;
}

function itemTime(item) {
  return Date.parse(item.__typename === 'InboundMessage' ? item.receivedAt : item.createdAt);
}

function inboundText(content) {
  if (!content) return '';
  if (content.text) return content.text;
  const label = { IMAGE: 'Image', VIDEO: 'Video', FILE: 'File', AUDIO: 'Audio', LOCATION: 'Location', CONTACT: 'Contact', STICKER: 'Sticker' }[content.type];
  const detail = content.fileName ?? content.name ?? content.url ?? '';
  return `[${label ?? content.type}${detail ? `: ${detail}` : ''}]`;
}

/** Outbound messages sent elsewhere (the API, a campaign) have no text the console can show. */
const SENT_ELSEWHERE = 'Message sent through the API';

function itemText(item) {
  return item.__typename === 'InboundMessage' ? inboundText(item.content) : (doc.outboundText(item) ?? SENT_ELSEWHERE);
}

// ── Formatting ───────────────────────────────────────────────────────────────────────────────────────

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });

function shortTime(ms) {
  const d = new Date(ms);
  return new Date().toDateString() === d.toDateString() ? timeFormat.format(d) : dayFormat.format(d);
}

function contactName(c) {
  return c.contact?.name || c.contact?.phoneNumber || c.contact?.address || 'Unknown';
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// ── Rendering ────────────────────────────────────────────────────────────────────────────────────────

function visibleConversations() {
  const q = state.filter.search.trim().toLowerCase();
  return [...state.conversations.values()]
    .filter((c) => !state.filter.unreadOnly || c.unreadCount > 0 || c.id === state.selectedId)
    .filter((c) => !q || [c.contact?.name, c.contact?.address, c.contact?.phoneNumber].some((v) => v?.toLowerCase().includes(q)))
    .sort((a, b) => Date.parse(b.lastActivityAt) - Date.parse(a.lastActivityAt) || (a.id < b.id ? 1 : -1));
}

function renderList() {
  const list = $('conversation-list');
  const focusedId = document.activeElement?.closest?.('.conversation')?.dataset.id ?? null;
  const rows = visibleConversations().map((c) => {
    const unread = c.unreadCount > 0;
    const preview = c.lastMessage ? `${c.lastMessage.__typename === 'InboundMessage' ? '' : 'You: '}${itemText(c.lastMessage)}` : '';
    const name = contactName(c);
    return el(
      'li',
      {},
      el(
        'button',
        {
          type: 'button',
          class: `conversation${unread ? ' unread' : ''}`,
          dataset: { id: c.id },
          'aria-current': c.id === state.selectedId ? 'true' : null,
          'aria-label': `${name}, ${c.channel}${unread ? `, ${c.unreadCount} unread` : ''}`,
          onclick: () => select(c.id),
        },
        el('span', { class: 'who' }, el('span', { class: `channel ${c.channel}` }, c.channel), name),
        el('span', { class: 'when' }, shortTime(Date.parse(c.lastActivityAt))),
        el('span', { class: 'preview' }, preview),
        unread ? el('span', { class: 'badge', 'aria-hidden': 'true' }, String(c.unreadCount)) : null,
      ),
    );
  });
  list.replaceChildren(...rows);
  $('list-empty').hidden = rows.length > 0;
  $('list-empty').textContent = state.conversations.size === 0
    ? 'No conversations yet. Inbound messages appear here as they arrive.'
    : 'No conversation matches the filter.';
  if (focusedId) list.querySelector(`.conversation[data-id="${CSS.escape(focusedId)}"]`)?.focus();
}

function renderThreadHead() {
  const c = state.conversations.get(state.selectedId);
  $('thread-empty').hidden = Boolean(c);
  $('thread').hidden = !c;
  if (!c) return;
  $('thread-title').textContent = contactName(c);
  // The title is the name when there is one; the number then goes beneath it (never twice).
  const parts = [c.contact?.name ? c.contact?.phoneNumber : null, c.contact?.viberUserId ? `Viber user ${c.contact.viberUserId}` : null, `replies go by ${c.channel}`];
  $('thread-meta').textContent = parts.filter(Boolean).join(' · ');
}

function renderTimeline() {
  const box = $('timeline');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const items = [...state.timeline.values()].sort((a, b) => itemTime(a) - itemTime(b));
  const nodes = [];
  let lastDay = null;
  for (const item of items) {
    const at = itemTime(item);
    const day = new Date(at).toDateString();
    if (day !== lastDay) {
      nodes.push(el('li', { class: 'day', 'aria-hidden': 'true' }, dayFormat.format(new Date(at))));
      lastDay = day;
    }
    if (item.__typename === 'InboundMessage') {
      nodes.push(
        el('li', { class: 'item in', dataset: { key: itemKey(item) } },
          el('span', { class: 'visually-hidden' }, 'They wrote:'),
          el('div', { class: 'bubble' }, itemText(item)),
          el('div', { class: 'meta' }, el('time', { datetime: item.receivedAt }, timeFormat.format(new Date(at))), item.channel)),
      );
    } else {
      const s = replyStatus(item);
      nodes.push(
        el('li', { class: 'item out', dataset: { key: itemKey(item) } },
          el('span', { class: 'visually-hidden' }, 'You sent:'),
          el('div', { class: `bubble${doc.outboundText(item) === null ? ' elsewhere' : ''}` }, itemText(item)),
          el('div', { class: 'meta' },
            el('time', { datetime: item.createdAt }, timeFormat.format(new Date(at))),
            s.failedOver ? el('span', { class: 'failover', title: 'Viber did not deliver; the message went by SMS' }, 'Failed over to SMS') : null,
            el('span', { class: 'status', dataset: { status: s.status }, title: s.detail }, s.label))),
      );
    }
  }
  if (nodes.length === 0) nodes.push(el('li', { class: 'empty' }, 'No messages in this conversation yet.'));
  box.replaceChildren(...nodes);
  if (atBottom) box.scrollTop = box.scrollHeight;
}

/** Screen readers hear new messages once, not the whole re-rendered timeline. */
function announce(text) {
  $('announcer').textContent = text;
}

function setConnection(stateName, detail) {
  const node = $('connection');
  node.dataset.state = stateName;
  $('connection-text').textContent = detail ?? { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' }[stateName];
}

// ── Data ─────────────────────────────────────────────────────────────────────────────────────────────

async function api(query, variables) {
  try {
    return await graphql(state.apiKey, query, variables);
  } catch (err) {
    if (err instanceof ApiError && err.unauthenticated) signOut('Your key is no longer accepted. Sign in again.');
    throw err;
  }
}

async function loadConversations() {
  const data = await api(doc.CONVERSATIONS, { first: LIST_PAGE });
  state.conversations = new Map(data.conversations.edges.map((e) => [e.node.id, e.node]));
  renderList();
  renderThreadHead();
}

function upsertConversation(conversation) {
  state.conversations.set(conversation.id, conversation);
  renderList();
  if (conversation.id === state.selectedId) {
    renderThreadHead();
    if (conversation.lastMessage) addItems([conversation.lastMessage]);
    if (conversation.unreadCount > 0) scheduleMarkRead();
  }
}

function addItems(items) {
  let changed = false;
  for (const item of items) {
    if (!item) continue;
    const key = itemKey(item);
    state.timeline.set(key, { ...state.timeline.get(key), ...item });
    changed = true;
  }
  if (changed) renderTimeline();
}

async function loadTimeline(id, { older = false } = {}) {
  const selection = state.selection;
  const after = older ? state.olderCursor : null;
  const data = await api(doc.TIMELINE, { id, first: TIMELINE_PAGE, after });
  if (selection !== state.selection) return;
  if (!data.conversation) {
    state.conversations.delete(id);
    state.selectedId = null;
    renderList();
    renderThreadHead();
    return;
  }
  const page = data.conversation.timeline;
  if (!older) state.timeline = new Map();
  state.olderCursor = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  $('older').hidden = !state.olderCursor;
  // Oldest first into the map: the display's sort is stable, so messages of the same millisecond keep
  // the server's order.
  addItems(page.edges.map((e) => e.node).reverse());
  renderTimeline();
}

async function showOlder() {
  const box = $('timeline');
  const fromBottom = box.scrollHeight - box.scrollTop;
  $('older').disabled = true;
  try {
    await loadTimeline(state.selectedId, { older: true });
    box.scrollTop = box.scrollHeight - fromBottom; // keep the message the agent was reading in place
  } catch (err) {
    $('reply-error').textContent = `Older messages could not be loaded: ${err.message}`;
  } finally {
    $('older').disabled = false;
  }
}

let markReadTimer = null;
/** The agent is looking at it: mark it read (once per burst of arrivals). */
function scheduleMarkRead() {
  clearTimeout(markReadTimer);
  markReadTimer = setTimeout(async () => {
    const id = state.selectedId;
    const c = state.conversations.get(id);
    if (!c || c.unreadCount === 0 || document.visibilityState !== 'visible') return;
    try {
      const data = await api(doc.MARK_READ, { id });
      const result = data.markConversationRead;
      if (result.conversation) upsertConversation(result.conversation);
    } catch {
      // Marking read is a courtesy: the next look at the conversation tries again.
    }
  }, 400);
}

async function select(id) {
  if (state.selectedId === id) return;
  state.selectedId = id;
  state.selection += 1;
  state.timeline = new Map();
  state.olderCursor = null;
  $('older').hidden = true;
  renderList();
  renderThreadHead();
  renderTimeline();
  $('reply-error').textContent = '';
  try {
    await loadTimeline(id);
    scheduleMarkRead();
    $('reply-text').focus();
  } catch (err) {
    $('reply-error').textContent = `The conversation could not be loaded: ${err.message}`;
  }
}

async function reply(event) {
  event.preventDefault();
  const text = $('reply-text').value.trim();
  const id = state.selectedId;
  if (!text) {
    $('reply-error').textContent = 'Write something first.';
    $('reply-text').focus();
    return;
  }
  $('reply-send').disabled = true;
  $('reply-error').textContent = '';
  try {
    const data = await api(doc.REPLY, { id, content: doc.replyContent(text, state.conversations.get(id)) });
    const result = data.replyToConversation;
    if (result.sent) {
      doc.rememberSentText(result.sent.messageId, text);
      $('reply-text').value = '';
      if (id === state.selectedId) addItems([result.sent]);
    } else {
      $('reply-error').textContent = doc.describeError(result);
    }
  } catch (err) {
    $('reply-error').textContent = `Not sent: ${err.message}`;
  } finally {
    $('reply-send').disabled = false;
    $('reply-text').focus();
  }
}

function startLive(from) {
  state.live?.stop();
  state.live = new LiveFeeds({
    url: websocketUrl(),
    apiKey: state.apiKey,
    from,
    feeds: [
      {
        name: 'conversations',
        query: doc.ON_CONVERSATION,
        cursorOf: (d) => d.conversationUpdated.cursor,
        onEvent: (d) => upsertConversation(d.conversationUpdated.conversation),
      },
      {
        name: 'inbound',
        query: doc.ON_INBOUND,
        cursorOf: (d) => d.inboundMessageReceived.cursor,
        onEvent: (d) => {
          const inbound = d.inboundMessageReceived;
          const open = state.conversations.get(state.selectedId);
          if (doc.belongsTo(inbound, open) && !state.timeline.has(itemKey(inbound))) {
            addItems([inbound]);
            announce(`New message from ${contactName(open)}: ${itemText(inbound)}`);
          }
        },
      },
      {
        name: 'statuses',
        query: doc.ON_STATUS,
        cursorOf: (d) => d.messageStatusChanged.cursor,
        onEvent: (d) => {
          const message = d.messageStatusChanged.message;
          const key = `out:${message.messageId}`;
          if (state.timeline.has(key)) addItems([{ __typename: 'Message', ...message }]);
        },
      },
    ],
    onState: setConnection,
    onUnauthorized: () => signOut('Your key is no longer accepted. Sign in again.'),
    onGap: (feeds) => refresh({ timeline: feeds.some((f) => f !== 'conversations') }),
    onFeedError: (feed, message) => console.warn(`live ${feed}: ${message}`),
  });
  state.live.start();
  // Exposed for diagnostics (and the browser test): the cursors the page would resume from.
  window.omnigateConsole = { cursor: (name) => state.live?.cursor(name) ?? null };
}

/**
 * Reloads what a live feed could not replay: the list (conversation events), and the open conversation
 * too when the message feeds lost their place.
 */
async function refresh({ timeline }) {
  try {
    await loadConversations();
    if (timeline && state.selectedId) await loadTimeline(state.selectedId);
  } catch (err) {
    console.warn('refresh failed', err);
  }
}

// ── Session ──────────────────────────────────────────────────────────────────────────────────────────

function showSignIn(message = '') {
  $('console-view').hidden = true;
  $('session-bar').hidden = true;
  $('sign-in-view').hidden = false;
  $('sign-in-error').textContent = message;
  $('api-key').focus();
}

async function enterConsole(apiKey) {
  state.apiKey = apiKey;
  // The log's position first, then the data: whatever changes in between is replayed by the feeds (which
  // start after that position), so nothing is missed; what the data already shows is applied again, once.
  const head = await api(doc.LOG_HEAD);
  startLive(head.events.pageInfo.endCursor ?? null);
  await loadConversations();
  $('sign-in-view').hidden = true;
  $('console-view').hidden = false;
  $('session-bar').hidden = false;
}

function signOut(message = '') {
  // Everything this tab kept (the key, the texts of its replies) goes with the session.
  sessionStorage.clear();
  state.live?.stop();
  state.live = null;
  state.apiKey = null;
  state.conversations = new Map();
  state.timeline = new Map();
  state.selectedId = null;
  $('api-key').value = '';
  showSignIn(message);
}

async function signIn(event) {
  event.preventDefault();
  const key = $('api-key').value.trim().replace(/^(App|Bearer)\s+/i, '');
  if (!key) {
    $('sign-in-error').textContent = 'Paste an API key.';
    return;
  }
  $('sign-in-button').disabled = true;
  $('sign-in-error').textContent = '';
  try {
    // Checked before anything else starts: a wrong key gets one clear sentence.
    await graphql(key, doc.WHO_AM_I);
    sessionStorage.setItem(KEY_STORAGE, key);
    await enterConsole(key);
  } catch (err) {
    state.live?.stop();
    $('sign-in-error').textContent =
      err instanceof ApiError && err.unauthenticated ? 'This key is not accepted: check it was copied whole and is not revoked.' : err.message;
  } finally {
    $('sign-in-button').disabled = false;
  }
}

function init() {
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => signOut());
  $('reply-form').addEventListener('submit', reply);
  $('older').addEventListener('click', showOlder);
  $('reply-text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) $('reply-form').requestSubmit();
  });
  $('filter-form').addEventListener('submit', (e) => e.preventDefault());
  $('search').addEventListener('input', (e) => {
    state.filter.search = e.target.value;
    renderList();
  });
  $('unread-only').addEventListener('change', (e) => {
    state.filter.unreadOnly = e.target.checked;
    renderList();
  });
  // Arrow keys move between conversations, like a list box.
  $('conversation-list').addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const buttons = [...$('conversation-list').querySelectorAll('.conversation')];
    const i = buttons.indexOf(document.activeElement);
    const next = buttons[i + (e.key === 'ArrowDown' ? 1 : -1)];
    if (next) {
      e.preventDefault();
      next.focus();
    }
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') scheduleMarkRead();
  });

  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (!saved) {
    showSignIn();
    return;
  }
  enterConsole(saved).catch((err) => {
    if (err instanceof ApiError && err.unauthenticated) return; // signOut already showed why
    state.live?.stop();
    showSignIn(`The console could not start: ${err.message}`);
  });
}

init();
