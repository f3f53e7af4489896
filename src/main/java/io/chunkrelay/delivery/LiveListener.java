package io.chunkrelay.delivery;

/**
 * Keeps the recoveries of promise 7 (Redis accelerates, PostgreSQL decides) in the connection's
 * hands.
 *
 * <p>Receives a stream's live events from a {@link LiveFeed}. Called on the feed's own thread: an
 * implementation must hand the work off and return at once.
 */
public interface LiveListener {
  void onLive(LiveEvent event);

  /**
   * A message on the stream's channel could not be read (a version this node does not know):
   * whatever it carried must be read from the log.
   */
  void onMissed();

  /** The feed lost its connection: live events may be missing until {@link #onFeedUp()}. */
  void onFeedDown();

  /** The feed is subscribed again; anything published meanwhile was not heard. */
  void onFeedUp();
}
