// Types of chunk-relay.js, for TypeScript projects that import the module from a Chunk Relay node
// (copy this file next to your import, or reference it with a triple-slash directive).

export type SubscriptionState =
  | 'connecting'
  | 'live'
  | 'reconnecting'
  | 'complete'
  | 'closed'
  | 'failed';

export declare const State: Readonly<{
  CONNECTING: 'connecting';
  LIVE: 'live';
  RECONNECTING: 'reconnecting';
  COMPLETE: 'complete';
  CLOSED: 'closed';
  FAILED: 'failed';
}>;

/** A chunk as delivered: once, in seq order. */
export interface Chunk {
  seq: number;
  messageId: string;
  content: string;
  final: boolean;
}

/** What was caught and recovered from (gap-detected, malformed-frame) or why the stream failed. */
export interface RelayError {
  code: string;
  message: string;
}

export interface StateDetail {
  /** connecting, live: the seq the connection resumes after. */
  after?: number;
  /** reconnecting: the wait before the next attempt and its number. */
  delayMillis?: number;
  attempt?: number;
  /** reconnecting: the WebSocket close code of the lost connection. */
  code?: number | string;
  /** complete: the stream's last seq. */
  lastSeq?: number;
  /** failed: the server's reason. */
  message?: string;
}

export interface ConnectOptions {
  /** Deliver chunks with a seq above this one (default 0: from the start). */
  after?: number;
  /** Keep the last seq and the text so far in sessionStorage, and continue from there after a reload. */
  resume?: boolean;
  /** Where resume keeps its entry (default sessionStorage). */
  storage?: Storage;
  onChunk?: (chunk: Chunk, subscription: Subscription) => void;
  onComplete?: (result: CompletedStream) => void;
  onStateChange?: (state: SubscriptionState, detail: StateDetail, subscription: Subscription) => void;
  onError?: (error: RelayError, subscription: Subscription) => void;
  /** Aborting it closes the subscription. */
  signal?: AbortSignal;
  /** The relay's base URL (default: where this module was loaded from). */
  baseUrl?: string | URL;
  initialBackoffMillis?: number;
  maxBackoffMillis?: number;
  /**
   * On a node that requires tokens: returns the current token, called before every (re)connection.
   * Sent as the subprotocol `bearer.<token>`; a close for an expired token (4401) reconnects at once.
   */
  token?: () => string | Promise<string>;
}

export declare class Subscription {
  readonly streamId: string;
  readonly lastSeq: number;
  readonly text: string;
  readonly state: SubscriptionState | null;
  readonly stats: { reconnects: number; duplicatesDropped: number; gapsDetected: number };
  /** Resolves when the stream completes; rejects if it fails (error.code) or is closed. */
  readonly completed: Promise<CompletedStream>;
  drop(): void;
  close(): void;
}

export declare function connect(streamId: string, options?: ConnectOptions): Subscription;

/** Forgets what resume kept for a stream. */
export declare function forget(streamId: string, storage?: Storage): void;

/**
 * A stream that completed: its last seq, the text of every chunk, the hash chain link the client
 * computed over what it received (hex; null when it could not), and whether that equals the
 * server's (null when the client could not check: started mid-stream, or no Web Crypto).
 */
export interface CompletedStream {
  lastSeq: number;
  text: string;
  chain: string | null;
  verified: boolean | null;
}

/** sha256('chunk-relay:' + streamId): a stream's chain before its first chunk. */
export function chainGenesis(streamId: string): Promise<Uint8Array>;

/** The chain link of `chunk` after `previous` (32 bytes each). */
export function chainLink(
  previous: Uint8Array,
  chunk: { seq: number; messageId: string; content: string; final: boolean },
): Promise<Uint8Array>;
