package io.chunkrelay.it.support;

import io.chunkrelay.delivery.DeliveryHooks;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Test-only delivery hooks (installed in the test WAR through META-INF/services, never in the
 * product): a test arms a pause at a point for one stream, waits until a connection reaches it,
 * does something (appends chunk 7), then releases it. Controlled over HTTP by {@link HooksServlet}.
 */
public final class PausingHooks implements DeliveryHooks {
  static final String SUBSCRIBED = "subscribed";
  static final String BACKFILLED = "backfilled";
  static final String NAIVE_READ = "naive-read";
  private static final long MAX_PAUSE_SECONDS = 30;

  private static final Map<String, Pause> ARMED = new ConcurrentHashMap<>();
  private static final Map<String, Pause> REACHED = new ConcurrentHashMap<>();
  private static final Map<String, Pause> RESUMING = new ConcurrentHashMap<>();

  /** A pause: reached by the paused thread, released by the test, resumed by the paused thread. */
  private record Pause(CountDownLatch reached, CountDownLatch release, CountDownLatch resumed) {}

  static void arm(String point, String streamId) {
    ARMED.put(
        point + ":" + streamId,
        new Pause(new CountDownLatch(1), new CountDownLatch(1), new CountDownLatch(1)));
  }

  static boolean awaitReached(String point, String streamId) throws InterruptedException {
    Pause pause = ARMED.getOrDefault(point + ":" + streamId, REACHED.get(point + ":" + streamId));
    return pause != null && pause.reached().await(MAX_PAUSE_SECONDS, TimeUnit.SECONDS);
  }

  /**
   * Lets the paused thread go on, and returns once it has done what follows the pause (for the
   * naive endpoint: its SUBSCRIBE is confirmed), so what the test does next comes after that.
   */
  static void release(String point, String streamId) throws InterruptedException {
    Pause pause = REACHED.remove(point + ":" + streamId);
    if (pause != null) {
      pause.release().countDown();
      pause.resumed().await(MAX_PAUSE_SECONDS, TimeUnit.SECONDS);
    }
  }

  /** The thread paused at {@code point} has done what follows the pause. */
  static void resumed(String point, String streamId) {
    Pause pause = RESUMING.remove(point + ":" + streamId);
    if (pause != null) {
      pause.resumed().countDown();
    }
  }

  /**
   * Pauses the calling thread if a pause is armed here; each armed pause fires once. With {@code
   * resumesItself}, the caller reports {@link #resumed} itself once it has done what follows.
   */
  static void pauseAt(String point, String streamId, boolean resumesItself) {
    String key = point + ":" + streamId;
    Pause pause = ARMED.remove(key);
    if (pause == null) {
      return;
    }
    REACHED.put(key, pause);
    pause.reached().countDown();
    try {
      pause.release().await(MAX_PAUSE_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (resumesItself) {
      RESUMING.put(key, pause);
    } else {
      pause.resumed().countDown();
    }
  }

  @Override
  public void subscribedBeforeBackfill(String streamId) {
    pauseAt(SUBSCRIBED, streamId, false);
  }

  @Override
  public void backfilledBeforeMerge(String streamId) {
    pauseAt(BACKFILLED, streamId, false);
  }
}
