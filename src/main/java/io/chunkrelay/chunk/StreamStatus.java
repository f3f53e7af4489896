package io.chunkrelay.chunk;

/**
 * Keeps a completed stream final. Life of a stream: open until a producer completes it; completed
 * is final.
 */
public enum StreamStatus {
  OPEN("open"),
  COMPLETED("completed");

  private final String wireName;

  StreamStatus(String wireName) {
    this.wireName = wireName;
  }

  /** The lowercase name used in the table and in JSON. */
  public String wireName() {
    return wireName;
  }

  /** The status {@link #wireName()} names; an unknown name is an error. */
  public static StreamStatus fromWireName(String name) {
    for (StreamStatus status : values()) {
      if (status.wireName.equals(name)) {
        return status;
      }
    }
    throw new IllegalStateException("unknown stream status in the table: '" + name + "'");
  }
}
