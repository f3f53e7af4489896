package io.chunkrelay.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Keeps the demo's replies checkable word for word.
 *
 * <p>Writes the demo's replies. A reply depends only on its prompt (the same prompt always gets the
 * same words), so a test can know the full reply in advance; it explains, in the first person, what
 * happens to each of its own words on the way to the reader.
 */
public final class SimulatedAssistant {
  private static final int MAX_QUOTED_CHARS = 80;
  private static final Pattern WORD_START = Pattern.compile("(?<=\\s)(?=\\S)");

  private static final List<String> OPENINGS =
      List.of(
          "Good question. You asked: \u201c%s\u201d. I am the simulated assistant of the Chunk Relay"
              + " demo, so I cannot really answer that, but I can show you what happens to every"
              + " word I write.",
          "Thanks for asking \u201c%s\u201d. I am only a simulated assistant, yet every word of this"
              + " reply travels the same road a real model's tokens would.",
          "\u201c%s\u201d, you say. Let me answer with something I know well: how each word of"
              + " this reply reaches your screen exactly once, in order.");

  private static final List<String> FACTS =
      List.of(
          "Each word you see is a chunk that was committed to PostgreSQL, with the next sequence"
              + " number of this stream, before anyone could receive it.",
          "After the commit, the node publishes the chunk on a Redis channel, and every node that"
              + " holds a WebSocket for this stream hears it.",
          "Your browser subscribed first and read the log second, so a chunk published in between"
              + " cannot slip through the crack.",
          "If you press Drop connection, the client waits a moment, with backoff and jitter, and"
              + " then resumes after the last sequence number it saw.",
          "If you reload the page, the client finds that number and the text so far in session"
              + " storage and asks only for what came after.",
          "A chunk that arrives twice is dropped by its sequence number, and one that arrives early"
              + " waits until the gap before it has been read from the table.",
          "The audit view reads the same rows a database administrator would see with a plain"
              + " SELECT on the chunks table.",
          "A slow reader never makes the server drop anything: its queue fills up, and its"
              + " connection catches up from the table later.",
          "Redis only makes delivery fast; PostgreSQL decides what was said and in which order.");

  private static final List<String> CLOSINGS =
      List.of(
          "That is the whole trick: commit first, subscribe before you read, and count every"
              + " chunk. Try dropping the connection while I am still talking.",
          "So nothing is lost and nothing is repeated, however the network behaves. Ask me"
              + " again and reload halfway through, if you like.",
          "Commit, publish, subscribe, backfill, merge by number: five small steps, and not one"
              + " word goes missing.");

  private SimulatedAssistant() {}

  /** The full reply to {@code prompt}, paragraphs separated by a blank line. */
  public static String replyTo(String prompt) {
    Random choice = new Random(prompt.hashCode());
    String quoted = quote(prompt);
    List<String> facts = new ArrayList<>(FACTS);
    Collections.shuffle(facts, choice);
    return String.format(OPENINGS.get(choice.nextInt(OPENINGS.size())), quoted)
        + "\n\n"
        + String.join(" ", facts.subList(0, 4))
        + "\n\n"
        + String.join(" ", facts.subList(4, 7))
        + "\n\n"
        + CLOSINGS.get(choice.nextInt(CLOSINGS.size()));
  }

  /**
   * {@code reply} cut into the chunks a model would stream: each word with the whitespace after it,
   * so that the chunks joined give the reply back exactly.
   */
  public static List<String> chunks(String reply) {
    return List.of(WORD_START.split(reply));
  }

  /** The prompt on one line, shortened, for quoting in the reply. */
  private static String quote(String prompt) {
    String oneLine = prompt.strip().replaceAll("\\s+", " ");
    if (oneLine.codePointCount(0, oneLine.length()) <= MAX_QUOTED_CHARS) {
      return oneLine;
    }
    return oneLine.substring(0, oneLine.offsetByCodePoints(0, MAX_QUOTED_CHARS - 1)).strip()
        + "\u2026";
  }
}
