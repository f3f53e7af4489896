package io.chunkrelay.web.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.chunk.Appended;
import io.chunkrelay.wire.WireFormat;

/**
 * Keeps promise 1 (ack means durable) visible to a streaming producer: what the appends of one
 * streamed body stored, added up as each commits, and told in the answer (or in the problem that
 * ended the body), so the producer knows what is in the log. Not thread-safe: its owner guards it.
 */
public final class IngestTally {
  private long firstSeq;
  private long lastSeq;
  private long count;
  private long duplicates;
  private long producerSeq = -1;

  /** Adds a committed append of the body. */
  void add(Appended appended) {
    if (appended.count() > 0) {
      firstSeq = firstSeq == 0 ? appended.firstSeq() : firstSeq;
      count += appended.count();
    }
    if (appended.lastSeq() > 0) {
      lastSeq = appended.lastSeq();
    }
    duplicates += appended.duplicates();
    producerSeq = appended.producerSeq();
  }

  long count() {
    return count;
  }

  /** The producer's last stored number, -1 without producer headers or before any commit. */
  long producerSeq() {
    return producerSeq;
  }

  /** {@code {"firstSeq"?, "lastSeq"?, "count", "duplicates"}}: seqs only where known. */
  ObjectNode json() {
    ObjectNode stored = WireFormat.object();
    if (count > 0) {
      stored.put("firstSeq", firstSeq);
    }
    if (lastSeq > 0) {
      stored.put("lastSeq", lastSeq);
    }
    stored.put("count", count);
    stored.put("duplicates", duplicates);
    return stored;
  }

  @Override
  public String toString() {
    return count + " lines, seqs " + firstSeq + ".." + lastSeq + ", " + duplicates + " duplicates";
  }
}
