package io.chunkrelay.it.support;

import jakarta.websocket.OnMessage;
import jakarta.websocket.SendHandler;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A test-only endpoint (deployed by WebSocketIT, never part of the product) that sends bursts the
 * way the delivery code does, so tests can drive the Tyrus writer on Tomcat hard: concurrent
 * senders, sends chained from completion handlers, and sends to a client that stopped reading.
 *
 * <p>Commands: {@code basic T N B} and {@code async T N B} send {@code N} messages of about {@code
 * B} bytes from each of {@code T} threads with the blocking or the async API; {@code chain N B}
 * sends each next message from the previous one's completion handler. Messages read {@code
 * thread:index:padding}; a final {@code done <dispatchMillis> <completeMillis>} says how long the
 * send calls took to return and how long until every send completed.
 */
@ServerEndpoint("/test/burst")
public class BurstEndpoint {
  private static final long MAX_WAIT_SECONDS = 120;

  @OnMessage
  public void onMessage(Session session, String command) throws Exception {
    String[] words = command.split(" ");
    switch (words[0]) {
      case "basic", "async" -> {
        boolean async = words[0].equals("async");
        int threads = Integer.parseInt(words[1]);
        int perThread = Integer.parseInt(words[2]);
        String padding = "x".repeat(Integer.parseInt(words[3]));
        new Thread(() -> threaded(session, async, threads, perThread, padding), "burst").start();
      }
      case "chain" -> {
        int count = Integer.parseInt(words[1]);
        String padding = "x".repeat(Integer.parseInt(words[2]));
        long start = System.nanoTime();
        chain(session, 0, count, padding, start);
      }
      default -> session.getBasicRemote().sendText("unknown command " + words[0]);
    }
  }

  private static void threaded(
      Session session, boolean async, int threads, int perThread, String padding) {
    try {
      long start = System.nanoTime();
      List<Future<Void>> futures = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Thread> senders = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        Thread sender =
            new Thread(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    String message = thread + ":" + i + ":" + padding;
                    try {
                      if (async) {
                        futures.add(session.getAsyncRemote().sendText(message));
                      } else {
                        session.getBasicRemote().sendText(message);
                      }
                    } catch (IOException e) {
                      throw new IllegalStateException(e);
                    }
                  }
                },
                "burst-" + t);
        senders.add(sender);
        sender.start();
      }
      for (Thread sender : senders) {
        sender.join();
      }
      long dispatched = System.nanoTime();
      for (Future<Void> future : futures) {
        future.get(MAX_WAIT_SECONDS, TimeUnit.SECONDS);
      }
      long completed = System.nanoTime();
      session
          .getBasicRemote()
          .sendText("done " + millis(dispatched - start) + " " + millis(completed - start));
    } catch (Exception e) {
      try {
        session.getBasicRemote().sendText("failed " + e);
      } catch (IOException ignored) {
        e.addSuppressed(ignored);
      }
      throw new IllegalStateException(e);
    }
  }

  private static void chain(Session session, int index, int count, String padding, long start) {
    if (index == count) {
      long took = millis(System.nanoTime() - start);
      session.getAsyncRemote().sendText("done " + took + " " + took);
      return;
    }
    SendHandler next =
        result -> {
          if (result.isOK()) {
            chain(session, index + 1, count, padding, start);
          }
        };
    session.getAsyncRemote().sendText("0:" + index + ":" + padding, next);
  }

  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
