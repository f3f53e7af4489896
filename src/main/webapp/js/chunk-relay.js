/**
 * Chunk Relay browser client: an ES module, used without a build step.
 *
 *   import { connect } from './js/chunk-relay.js';
 *   const sub = connect('chat-42', {
 *     resume: true,                                  // survive a page reload (see below)
 *     onChunk: (chunk, sub) => show(sub.text),       // chunk = {seq, messageId, content, final}
 *     onComplete: ({ lastSeq, text }) => done(text),
 *     onStateChange: (state, detail) => badge(state),
 *   });
 *   const { lastSeq, text } = await sub.completed;   // or rejects: failed or closed
 *   sub.drop();   // cut the connection as a network would; the client reconnects by itself
 *   sub.close();  // stop for good (so does aborting options.signal, an AbortSignal)
 *
 * Options: after (seq to start after, default 0), resume, onChunk, onComplete, onStateChange,
 * onError ({code, message}: what was caught and recovered from, or why it failed), signal,
 * baseUrl (where the relay is; default: the origin and path this module was loaded from, so a page
 * on another origin that imports the module from the relay connects to the relay),
 * initialBackoffMillis (250) and maxBackoffMillis (10000), and token: on a node that requires
 * tokens, a function returning the current token (or a Promise of it), called before every
 * (re)connection. The token travels as a WebSocket subprotocol (`bearer.<token>`, beside
 * `chunk-relay`), never in the URL, so proxies do not log it. When the server closes a subscription
 * because its token expired (close code 4401), the client asks the function again and reconnects
 * at once, resuming after the last seq.
 *
 * The server already delivers every chunk exactly once and in order; the client checks it again:
 * it drops a seq it already has, and when a seq arrives early (a gap, which the server never sends)
 * it does not deliver it but reconnects from the last seq it has. After a lost connection it
 * reconnects with exponential backoff and full jitter (a random wait below 250 ms, 500 ms, 1 s, ...
 * up to 10 s; reset once a connection delivers), resuming with after=<last seq>.
 *
 * Page reloads: with `resume: true` the client keeps the last seq and the text assembled so far per
 * stream in sessionStorage (one entry, written with every chunk, so the two always agree) and a
 * reloaded page continues from there, asking the server only for what came after. Without it, a
 * new page reads the stream again from `after` (default 0, the start).
 *
 * Verifying: a subscription that starts at the stream's beginning (after 0) keeps the stream's hash
 * chain over what it received (SHA-256 links, docs/API.md "Verifying a stream"; Web Crypto, so a
 * secure context: https or localhost) and checks it against the chain in the server's complete
 * frame. `completed` resolves with {lastSeq, text, chain, verified}: verified is true when they
 * agree, null when the client could not check (started mid-stream, no Web Crypto); when they
 * disagree the subscription fails with code 'chain-mismatch' (what arrived is not what the log
 * holds). `chainLink` and `chainGenesis` compute the same links for a page's own checks.
 *
 * States: 'connecting' (socket opening), 'live' (open and receiving), 'reconnecting' (waiting
 * before the next attempt; detail {delayMillis, attempt}), 'complete' (the stream ended and every
 * chunk arrived), 'closed' (close() was called), 'failed' (the server refused the stream for good;
 * detail {code, message}).
 */

export const State = Object.freeze({
  CONNECTING: 'connecting',
  LIVE: 'live',
  RECONNECTING: 'reconnecting',
  COMPLETE: 'complete',
  CLOSED: 'closed',
  FAILED: 'failed',
});

const STREAM_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const STORAGE_PREFIX = 'chunk-relay:';
/** Error codes after which another attempt cannot succeed. */
const PERMANENT_ERRORS = new Set([
  'invalid-stream-id', 'invalid-parameter', 'after-beyond-head', 'stream-not-allowed', 'scope-not-allowed',
]);
const CLOSE_DROPPED = 4000;
const CLOSE_GAP = 4001;
/** The server's close code for a subscription whose token expired. */
const CLOSE_TOKEN_EXPIRED = 4401;
/** The server's close code for a stream whose chunks retention dropped: a definite end. */
const CLOSE_STREAM_EXPIRED = 4410;
const SUBPROTOCOL = 'chunk-relay';
const OPEN_TIMEOUT_MILLIS = 10000;

/** Subscribes to one stream; returns the live {@link Subscription}. */
export function connect(streamId, options = {}) {
  return new Subscription(streamId, options);
}

/** Forgets what `resume: true` kept for a stream. */
export function forget(streamId, storage = globalThis.sessionStorage) {
  storage?.removeItem(STORAGE_PREFIX + streamId);
}

const ENCODER = new TextEncoder();
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (text) => Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
const sha256 = async (bytes) => new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
const canHash = () => Boolean(globalThis.crypto?.subtle);

/** The hash chain of `streamId` before its first chunk: sha256('chunk-relay:' + streamId). */
export function chainGenesis(streamId) {
  return sha256(ENCODER.encode(`chunk-relay:${streamId}`));
}

/**
 * The link of `chunk` ({seq, messageId, content, final}) after `previous` (the link before it, 32
 * bytes): sha256(previous || int64 seq || int32 bytes of messageId || messageId || final byte ||
 * content), big-endian, UTF-8. Resolves with 32 bytes.
 */
export function chainLink(previous, chunk) {
  const id = ENCODER.encode(chunk.messageId);
  const content = ENCODER.encode(chunk.content);
  const bytes = new Uint8Array(32 + 8 + 4 + id.length + 1 + content.length);
  const view = new DataView(bytes.buffer);
  bytes.set(previous, 0);
  view.setBigInt64(32, BigInt(chunk.seq));
  view.setInt32(40, id.length);
  bytes.set(id, 44);
  bytes[44 + id.length] = chunk.final ? 1 : 0;
  bytes.set(content, 45 + id.length);
  return sha256(bytes);
}

export class Subscription {
  #streamId;
  #options;
  #storage;
  #socket = null;
  #retryTimer = null;
  #openTimer = null;
  #attempt = 0;
  #state = null;
  #lastSeq;
  #text = '';
  /** Promise of the chain's link after the last chunk delivered; null when it cannot be known. */
  #chain = null;
  #chainHex = null;
  #chainSeq = -1;
  #stats = { reconnects: 0, duplicatesDropped: 0, gapsDetected: 0 };
  #onOnline = () => this.#retryNow();
  #finishing = false;
  #settle;
  /**
   * Resolves with {lastSeq, text, chain, verified} when the stream completes; rejects if it fails
   * (also on 'chain-mismatch') or is closed.
   */
  completed = new Promise((resolve, reject) => { this.#settle = { resolve, reject }; });

  constructor(streamId, options) {
    if (typeof streamId !== 'string' || !STREAM_ID.test(streamId)) {
      throw new TypeError(`stream id must be 1-128 characters of [A-Za-z0-9._:-], got ${streamId}`);
    }
    const after = options.after ?? 0;
    if (!Number.isSafeInteger(after) || after < 0) {
      throw new TypeError(`after must be a non-negative integer, got ${after}`);
    }
    this.#streamId = streamId;
    this.#options = {
      initialBackoffMillis: 250,
      maxBackoffMillis: 10000,
      baseUrl: new URL('..', import.meta.url),
      ...options,
    };
    this.#storage = options.resume ? options.storage ?? globalThis.sessionStorage : null;
    this.#lastSeq = after;
    this.completed.catch(() => {}); // a rejection nobody awaits is not an error
    const kept = this.#restore();
    if (canHash() && kept?.chain && kept.chainSeq === this.#lastSeq) {
      this.#chain = Promise.resolve(unhex(kept.chain));
    } else if (canHash() && this.#lastSeq === 0) {
      this.#chain = chainGenesis(streamId);
    }
    globalThis.addEventListener?.('online', this.#onOnline);
    if (options.signal?.aborted) {
      this.close();
      return;
    }
    options.signal?.addEventListener('abort', () => this.close(), { once: true });
    if (kept?.complete) {
      // Everything arrived before the reload: nothing to connect for.
      queueMicrotask(() => this.#finish(this.#lastSeq));
    } else {
      this.#open();
    }
  }

  get streamId() { return this.#streamId; }
  /** The seq of the last chunk delivered (or restored); the next connection resumes after it. */
  get lastSeq() { return this.#lastSeq; }
  /** Every delivered chunk's content, joined in seq order. */
  get text() { return this.#text; }
  get state() { return this.#state; }
  /** How often the connection was re-opened, and what the second line of defence caught. */
  get stats() { return { ...this.#stats }; }

  /** Cuts the connection the way a network would; the client reconnects by itself. */
  drop() {
    if (this.#socket?.close && !this.#isOver()) {
      this.#socket.close(CLOSE_DROPPED, 'dropped by the client');
    }
  }

  /** Stops for good: no more callbacks, no reconnects. */
  close() {
    if (this.#isOver()) return;
    this.#setState(State.CLOSED);
    this.#teardown();
    this.#settle.reject(new Error(`subscription to ${this.#streamId} was closed`));
  }

  #open() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const base = String(this.#options.baseUrl);
    const url = new URL(`ws/streams/${encodeURIComponent(this.#streamId)}`, base.endsWith('/') ? base : `${base}/`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : url.protocol === 'http:' ? 'ws:' : url.protocol;
    url.searchParams.set('after', String(this.#lastSeq));
    this.#setState(State.CONNECTING, { after: this.#lastSeq });
    if (!this.#options.token) {
      this.#connect(url, undefined);
      return;
    }
    // A placeholder, so that close() or a second #open() while the token is fetched wins.
    const pending = {};
    this.#socket = pending;
    Promise.resolve()
      .then(() => this.#options.token())
      .then((token) => {
        if (this.#socket !== pending) return;
        if (typeof token !== 'string' || token === '') throw new Error('the token function returned no token');
        this.#connect(url, [SUBPROTOCOL, `bearer.${token}`]);
      })
      .catch((error) => {
        if (this.#socket !== pending) return;
        this.#emitError({ code: 'token-unavailable', message: String(error?.message ?? error) });
        this.#lost({ code: 0 });
      });
  }

  #connect(url, protocols) {
    const socket = protocols ? new WebSocket(url, protocols) : new WebSocket(url);
    this.#socket = socket;
    this.#openTimer = setTimeout(() => socket.close(), OPEN_TIMEOUT_MILLIS);
    socket.onopen = () => {
      clearTimeout(this.#openTimer);
      if (this.#socket === socket) this.#setState(State.LIVE, { after: this.#lastSeq });
    };
    socket.onmessage = (event) => {
      if (this.#socket === socket) this.#receive(socket, event.data);
    };
    socket.onclose = (event) => {
      clearTimeout(this.#openTimer);
      if (this.#socket === socket) this.#lost(event);
    };
  }

  #receive(socket, data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      this.#emitError({ code: 'malformed-frame', message: 'the server sent a frame that is not JSON' });
      return;
    }
    if (frame.type === 'chunk') {
      this.#chunk(socket, frame);
    } else if (frame.type === 'complete') {
      if (frame.lastSeq > this.#lastSeq) {
        this.#gap(socket, frame.lastSeq);
      } else {
        this.#finish(frame.lastSeq, frame.chain);
      }
    } else if (frame.type === 'error') {
      this.#emitError({ code: frame.code, message: frame.message });
      if (PERMANENT_ERRORS.has(frame.code)) {
        this.#setState(State.FAILED, { code: frame.code, message: frame.message });
        this.#teardown();
        this.#settle.reject(Object.assign(new Error(frame.message), { code: frame.code }));
      }
    }
  }

  #chunk(socket, frame) {
    if (frame.seq <= this.#lastSeq) {
      this.#stats.duplicatesDropped++;
      return;
    }
    if (frame.seq > this.#lastSeq + 1) {
      this.#gap(socket, frame.seq);
      return;
    }
    this.#attempt = 0;
    this.#lastSeq = frame.seq;
    this.#text += frame.content;
    const chunk = { seq: frame.seq, messageId: frame.messageId, content: frame.content, final: frame.final };
    if (this.#chain) {
      this.#chain = this.#chain
        .then((previous) => chainLink(previous, chunk))
        .then((link) => {
          this.#chainHex = hex(link);
          this.#chainSeq = chunk.seq;
          if (!this.#isOver()) this.#keep(false);
          return link;
        });
    }
    this.#keep(false);
    this.#options.onChunk?.(chunk, this);
  }

  /** A seq beyond the next one: never delivered out of order; ask again from what we have. */
  #gap(socket, seenSeq) {
    this.#stats.gapsDetected++;
    this.#emitError({ code: 'gap-detected', message: `expected seq ${this.#lastSeq + 1}, got ${seenSeq}` });
    socket.close(CLOSE_GAP, 'gap detected');
  }

  #lost(event) {
    this.#socket = null;
    if (this.#isOver()) return;
    if (event.code === CLOSE_STREAM_EXPIRED) {
      // Retention dropped the rest of the stream: nothing to resume, and never a silent hole.
      const message = `stream expired: retention dropped its chunks after seq ${this.#lastSeq} (${event.reason})`;
      this.#emitError({ code: 'stream-expired', message });
      this.#setState(State.FAILED, { code: 'stream-expired', message });
      this.#teardown();
      this.#settle.reject(Object.assign(new Error(message), { code: 'stream-expired' }));
      return;
    }
    this.#stats.reconnects++;
    if (event.code === CLOSE_TOKEN_EXPIRED && this.#options.token) {
      // Not a failure: the token ran out. A fresh one is asked for and the stream resumes now.
      this.#setState(State.RECONNECTING, { delayMillis: 0, attempt: this.#attempt, code: event.code });
      this.#open();
      return;
    }
    const ceiling = Math.min(
      this.#options.maxBackoffMillis,
      this.#options.initialBackoffMillis * 2 ** Math.min(this.#attempt, 16),
    );
    const delayMillis = Math.round(Math.random() * ceiling);
    this.#attempt++;
    this.#setState(State.RECONNECTING, { delayMillis, attempt: this.#attempt, code: event.code });
    this.#retryTimer = setTimeout(() => this.#open(), delayMillis);
  }

  #retryNow() {
    if (this.#state === State.RECONNECTING) this.#open();
  }

  async #finish(lastSeq, expectedChain) {
    if (this.#isOver() || this.#finishing) return;
    this.#finishing = true;
    let chain = null;
    try {
      chain = this.#chain ? hex(await this.#chain) : null;
    } catch {
      chain = null; // Web Crypto refused: the stream is not verified, not failed
    }
    if (this.#isOver()) return;
    const verified = chain && typeof expectedChain === 'string' ? chain === expectedChain.toLowerCase() : null;
    if (verified === false) {
      const message = `the chunks received hash to ${chain}, the log's chain at seq ${lastSeq} is ${expectedChain}`;
      this.#emitError({ code: 'chain-mismatch', message });
      this.#setState(State.FAILED, { code: 'chain-mismatch', message });
      this.#teardown();
      this.#settle.reject(Object.assign(new Error(message), { code: 'chain-mismatch' }));
      return;
    }
    this.#keep(true);
    this.#setState(State.COMPLETE, { lastSeq });
    this.#teardown();
    const result = { lastSeq, text: this.#text, chain, verified };
    this.#options.onComplete?.(result);
    this.#settle.resolve(result);
  }

  #teardown() {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#openTimer);
    globalThis.removeEventListener?.('online', this.#onOnline);
    const socket = this.#socket;
    this.#socket = null;
    if (socket?.close && socket.readyState <= WebSocket.OPEN) socket.close(1000);
  }

  #isOver() {
    return this.#state === State.COMPLETE || this.#state === State.CLOSED || this.#state === State.FAILED;
  }

  #setState(state, detail = {}) {
    this.#state = state;
    this.#options.onStateChange?.(state, detail, this);
  }

  #emitError(error) {
    this.#options.onError?.(error, this);
  }

  #restore() {
    if (!this.#storage) return null;
    try {
      const kept = JSON.parse(this.#storage.getItem(STORAGE_PREFIX + this.#streamId));
      if (kept && Number.isSafeInteger(kept.lastSeq) && kept.lastSeq >= this.#lastSeq && typeof kept.text === 'string') {
        this.#lastSeq = kept.lastSeq;
        this.#text = kept.text;
        return kept;
      }
    } catch {
      // An unreadable entry is ignored: the stream is read again from `after`.
    }
    return null;
  }

  #keep(complete) {
    if (!this.#storage) return;
    try {
      this.#storage.setItem(
        STORAGE_PREFIX + this.#streamId,
        JSON.stringify({
          lastSeq: this.#lastSeq, text: this.#text, complete, chain: this.#chainHex, chainSeq: this.#chainSeq,
        }),
      );
    } catch {
      // Storage full or denied: resuming after a reload then reads the stream again from `after`.
    }
  }
}
