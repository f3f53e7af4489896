package io.chunkrelay.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.delivery.LiveEvent;
import io.chunkrelay.delivery.LiveListener;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The node's topic registry: one SUBSCRIBE per stream however many listeners, a listener's answer
 * only once Redis confirmed the SUBSCRIBE on the current connection, nothing confirmed after the
 * connection is lost, and listeners told "up" once their stream is subscribed again.
 */
class TopicsTest {
  private final Topics topics = new Topics();

  /** A listener that records nothing: the registry only hands it back. */
  private static LiveListener listener() {
    return new LiveListener() {
      @Override
      public void onLive(LiveEvent event) {}

      @Override
      public void onMissed() {}

      @Override
      public void onFeedDown() {}

      @Override
      public void onFeedUp() {}
    };
  }

  @Test
  void theFirstListenerSubscribesAndEveryListenerWaitsForTheConfirmation() {
    LiveListener first = listener();
    LiveListener second = listener();
    Topics.Added a = topics.add("s", first, true);
    Topics.Added b = topics.add("s", second, true);
    assertTrue(a.subscribe(), "the first listener's stream is subscribed");
    assertFalse(b.subscribe(), "one SUBSCRIBE per stream");
    assertFalse(a.confirmation().isDone() || b.confirmation().isDone(), "not before Redis says so");

    Topics.Confirmed confirmed = topics.confirmed("s");
    assertEquals(List.of(a.confirmation(), b.confirmation()), confirmed.waiting());
    assertEquals(List.of(), confirmed.recovered(), "a first SUBSCRIBE recovers nobody");
    confirmed.waiting().forEach(f -> f.complete(true));

    Topics.Added third = topics.add("s", listener(), true);
    assertTrue(third.confirmation().getNow(false), "a confirmed topic answers at once");
    assertFalse(third.subscribe());
    assertEquals(Topics.Confirmed.NOTHING, topics.confirmed("unknown"));
  }

  @Test
  void withTheFeedDownAListenerIsToldAtOnceThatItIsNotSubscribed() {
    Topics.Added added = topics.add("s", listener(), false);
    assertFalse(added.subscribe());
    assertEquals(false, added.confirmation().getNow(true));
  }

  @Test
  void onlyTheLastListenerToLeaveUnsubscribes() {
    LiveListener first = listener();
    LiveListener second = listener();
    topics.add("s", first, true);
    topics.add("s", second, true);
    assertFalse(topics.remove("s", first));
    assertFalse(topics.remove("s", first), "a listener leaves once");
    assertTrue(topics.remove("s", second));
    assertEquals(Set.of(), topics.listeners("s"));
    assertFalse(topics.remove("s", second), "a stream nobody listens to is gone");
  }

  @Test
  void aLostConnectionUnconfirmsEveryTopicAndASubscribeAgainRecoversItsListeners() {
    LiveListener listener = listener();
    topics.add("s", listener, true);
    topics.confirmed("s");
    CompletableFuture<Boolean> pending = topics.add("t", listener(), true).confirmation();

    Topics.Lost lost = topics.lost(true);
    assertEquals(List.of(pending), lost.waiting(), "a waiting subscriber is failed");
    assertEquals(2, lost.listeners().size(), "every listener hears the feed went down");
    assertFalse(
        topics.add("s", listener(), true).confirmation().isDone(),
        "nothing is confirmed on a new connection until Redis says so again");

    assertEquals(Set.of("s", "t"), Set.copyOf(topics.resubscribeAll()));
    Topics.Confirmed again = topics.confirmed("s");
    assertEquals(2, again.recovered().size(), "both listeners of s are told the feed is up");
    assertTrue(again.recovered().contains(listener));
    assertEquals(List.of(), topics.confirmed("s").recovered(), "told once");
  }

  @Test
  void aConnectionThatNeverCameUpTellsNoListenerItWentDown() {
    topics.add("s", listener(), true);
    assertEquals(List.of(), topics.lost(false).listeners());
  }
}
