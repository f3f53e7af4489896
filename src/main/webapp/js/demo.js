// The demo chat: prompts go to the simulated assistant (POST demo/replies), replies arrive through
// chunk-relay.js. The conversation (prompt + stream id per turn) lives in sessionStorage, and each
// reply resumes through the client's own `resume: true`, so a reload continues mid-sentence.
import { connect, State } from './chunk-relay.js';

const TURNS_KEY = 'chunk-relay-demo:turns';
const TOKEN_KEY = 'chunk-relay-demo:token';
const AUDIT_EVERY_MILLIS = 1500;
const AUDIT_PAGE = 1000;

const $ = (selector) => document.querySelector(selector);
// A reload shows the newest reply above the message box (keepInView), not where the page was.
history.scrollRestoration = 'manual';
const panel = {
  state: $('#conn-state'),
  stream: $('#stream-id'),
  lastSeq: $('#last-seq'),
  gaps: $('#gaps'),
  reconnects: $('#reconnects'),
  duplicates: $('#duplicates'),
  events: $('#events'),
  drop: $('#drop'),
  auditRefresh: $('#audit-refresh'),
  auditSummary: $('#audit-summary'),
  auditBody: $('#audit tbody'),
};

let current = null; // { turn, sub, view }
let auditTimer = null;

function loadTurns() {
  try {
    return JSON.parse(sessionStorage.getItem(TURNS_KEY)) ?? [];
  } catch {
    return [];
  }
}

function saveTurns(turns) {
  sessionStorage.setItem(TURNS_KEY, JSON.stringify(turns));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderTurn(turn) {
  $('#empty').hidden = true;
  const article = element('article', 'turn');
  article.dataset.stream = turn.streamId;
  article.append(element('div', 'bubble user', turn.prompt));
  const bubble = element('div', 'bubble assistant');
  bubble.dataset.state = 'streaming';
  const text = element('div', 'text');
  const meta = element('div', 'meta', 'waiting for the first word…');
  bubble.append(text, meta);
  article.append(bubble);
  $('#turns').append(article);
  return { bubble, text, meta };
}

function follow(turn, isCurrent) {
  const view = renderTurn(turn);
  const sub = connect(turn.streamId, {
    resume: true,
    // On a node that requires tokens, the demo handed the page one for this reply's stream.
    token: turn.token ? () => turn.token : undefined,
    onChunk: (chunk, s) => {
      view.text.textContent = s.text;
      view.meta.textContent = `seq ${chunk.seq} · ${chunk.messageId}`;
      if (current?.sub === s) showPosition(s);
      if (isCurrent) keepInView(view.bubble);
    },
    onStateChange: (state, detail, s) => {
      if (current?.sub === s || (isCurrent && !current)) showState(state, detail, s);
    },
    onComplete: ({ lastSeq }) => {
      view.bubble.dataset.state = 'complete';
      view.meta.textContent = `complete · ${lastSeq} chunks`;
      if (isCurrent) keepInView(view.bubble);
      if (current?.sub === sub) {
        stopAuditTimer();
        audit(turn, sub);
      }
    },
    onError: (error, s) => {
      if (current?.sub === s) logEvent(`${error.code}: ${error.message}`);
      if (s.state === State.FAILED) {
        view.bubble.dataset.state = 'failed';
        view.meta.textContent = `failed: ${error.message}`;
      }
    },
  });
  view.text.textContent = sub.text;
  if (sub.lastSeq > 0) view.meta.textContent = `resumed after seq ${sub.lastSeq}`;
  if (isCurrent) {
    current = { turn, sub, view };
    panel.stream.textContent = turn.streamId;
    panel.auditRefresh.disabled = false;
    showPosition(sub);
    audit(turn, sub);
    if (sub.state !== State.COMPLETE) startAuditTimer(turn, sub);
    keepInView(view.bubble);
  }
  return sub;
}

/**
 * Scrolls the reply's newest line into view above the message box, which stays at the bottom of
 * the window over the conversation (its height changes when the box is resized).
 */
function keepInView(bubble) {
  bubble.style.scrollMarginBottom = `${$('#ask').offsetHeight + 24}px`;
  bubble.scrollIntoView({ block: 'end' });
}

function showState(state, detail, sub) {
  panel.state.textContent = state;
  panel.state.dataset.state = state;
  panel.drop.disabled = state !== State.LIVE && state !== State.CONNECTING;
  const words = {
    [State.CONNECTING]: `connecting, after=${detail.after ?? sub.lastSeq}`,
    [State.LIVE]: `live, resumed after seq ${detail.after ?? sub.lastSeq}`,
    [State.RECONNECTING]: `connection lost (code ${detail.code}); retry ${detail.attempt} in ${detail.delayMillis} ms`,
    [State.COMPLETE]: `complete at seq ${detail.lastSeq ?? sub.lastSeq}`,
    [State.FAILED]: `failed: ${detail.message ?? ''}`,
    [State.CLOSED]: 'closed',
  };
  logEvent(words[state] ?? state);
  showPosition(sub);
}

function showPosition(sub) {
  const stats = sub.stats;
  panel.lastSeq.textContent = sub.lastSeq > 0 ? String(sub.lastSeq) : '–';
  panel.reconnects.textContent = String(stats.reconnects);
  panel.duplicates.textContent = String(stats.duplicatesDropped);
  if (panel.gaps.dataset.verified === sub.streamId) return;
  if (stats.gapsDetected > 0) {
    setCheck(false, `${stats.gapsDetected} gap(s) caught and re-read`);
  } else if (sub.lastSeq > 0) {
    setCheck(true, `no gaps · seqs 1–${sub.lastSeq} in order`);
  } else {
    setCheck(null, 'waiting for the first chunk');
  }
}

function setCheck(ok, text) {
  panel.gaps.dataset.ok = ok === null ? 'none' : String(ok);
  panel.gaps.textContent = text;
}

function logEvent(text) {
  const time = new Date().toISOString().slice(11, 23);
  const item = element('li', '', `${time} ${text}`);
  panel.events.prepend(item);
  while (panel.events.children.length > 40) panel.events.lastChild.remove();
}

function startAuditTimer(turn, sub) {
  stopAuditTimer();
  auditTimer = setInterval(() => audit(turn, sub), AUDIT_EVERY_MILLIS);
}

function stopAuditTimer() {
  clearInterval(auditTimer);
  auditTimer = null;
}

/** Reads the stream's whole chunk log and, once the reply is complete, checks the page against it. */
async function audit(turn, sub) {
  const { streamId } = turn;
  if (sub.lastSeq === 0 && sub.state !== State.COMPLETE) {
    // The assistant is still thinking: its stream has no row yet, and asking would be a 404.
    if (current?.turn.streamId === streamId) panel.auditSummary.textContent = 'no rows yet';
    return;
  }
  let rows = [];
  let head = 0;
  let status = '';
  try {
    for (let after = 0; ; after = rows.length) {
      const response = await fetch(
        `api/streams/${encodeURIComponent(streamId)}/chunks?after=${after}&limit=${AUDIT_PAGE}`,
        { headers: turn.token ? { Authorization: `Bearer ${turn.token}` } : {} },
      );
      if (response.status === 404) break; // not created yet: the assistant is still thinking
      const page = await response.json();
      if (!response.ok) throw new Error(page.detail ?? response.statusText);
      rows = rows.concat(page.chunks);
      head = page.headSeq;
      status = page.status;
      if (page.chunks.length < AUDIT_PAGE) break;
    }
  } catch (error) {
    panel.auditSummary.textContent = `could not read the log: ${error.message}`;
    return;
  }
  if (current?.turn.streamId !== streamId) return;
  renderAudit(rows);
  panel.auditSummary.textContent = rows.length
    ? `${rows.length} rows · head_seq ${head} · ${status}`
    : 'no rows yet';
  if (sub.state === State.COMPLETE) verify(rows, head, sub);
}

function verify(rows, head, sub) {
  const inOrder = rows.every((row, index) => row.seq === index + 1);
  const sameText = rows.map((row) => row.content).join('') === sub.text;
  if (inOrder && sameText && head === sub.lastSeq) {
    setCheck(true, `no gaps · all ${head} chunks match the log`);
  } else {
    setCheck(false, 'the page differs from the log');
  }
  panel.gaps.dataset.verified = sub.streamId;
}

function renderAudit(rows) {
  const first = rows.length ? Date.parse(rows[0].createdAt) : 0;
  const fragment = document.createDocumentFragment();
  for (const row of rows) {
    const tr = element('tr');
    tr.append(
      element('td', 'num', String(row.seq)),
      element('td', '', row.messageId),
      element('td', 'content', JSON.stringify(row.content)),
      element('td', '', new Date(row.createdAt).toISOString().slice(11, 23)),
      element('td', 'num', String(Date.parse(row.createdAt) - first)),
    );
    fragment.append(tr);
  }
  panel.auditBody.replaceChildren(fragment);
}

// On a node that requires tokens, the demo needs the visitor's own (one that may subscribe to
// demo-*): open the page as .../#token=<JWT>. A fragment never reaches a server or its logs; the
// page keeps the token for this tab only and takes it out of the address bar.
const callerToken = (() => {
  const given = new URLSearchParams(location.hash.slice(1)).get('token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
})();

async function ask(prompt) {
  const notice = $('#notice');
  notice.hidden = true;
  const headers = { 'Content-Type': 'application/json' };
  if (callerToken) {
    headers.Authorization = `Bearer ${callerToken}`;
  }
  const response = await fetch('demo/replies', {
    method: 'POST',
    headers,
    body: JSON.stringify({ prompt }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    notice.textContent = body.code === 'demo-disabled'
      ? 'The demo assistant is off on this node (set CHUNK_RELAY_DEMO=true to switch it on).'
      : response.status === 401
        ? 'This node requires a token: open this page as …/#token=<a token that may subscribe to demo-*>.'
        : `The assistant could not start: ${body.detail ?? response.statusText}`;
    notice.hidden = false;
    return;
  }
  const turn = { prompt, streamId: body.streamId, token: body.token };
  const turns = loadTurns();
  turns.push(turn);
  saveTurns(turns);
  // A reply still being written goes on in its own bubble; the panel follows the new one.
  delete panel.gaps.dataset.verified;
  panel.events.replaceChildren();
  current = null;
  follow(turn, true);
}

$('#ask').addEventListener('submit', async (event) => {
  event.preventDefault();
  const field = $('#prompt');
  const prompt = field.value.trim();
  if (!prompt) return;
  const send = $('#send');
  send.disabled = true;
  try {
    await ask(prompt);
    field.value = '';
  } finally {
    send.disabled = false;
    field.focus();
  }
});
$('#prompt').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    $('#ask').requestSubmit();
  }
});
panel.drop.addEventListener('click', () => current?.sub.drop());
$('#reload').addEventListener('click', () => location.reload());
panel.auditRefresh.addEventListener('click', () => current && audit(current.turn, current.sub));

const turns = loadTurns();
turns.forEach((turn, index) => follow(turn, index === turns.length - 1));
