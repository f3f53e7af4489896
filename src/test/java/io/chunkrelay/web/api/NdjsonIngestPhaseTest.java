package io.chunkrelay.web.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.chunkrelay.web.api.NdjsonIngest.Phase;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The life of a streamed request, as NdjsonIngest's class comment draws it: every move it allows,
 * and none other (an answered request never reads, sends or answers again).
 */
class NdjsonIngestPhaseTest {
  private static Set<Phase> next(Phase from) {
    Set<Phase> allowed = EnumSet.noneOf(Phase.class);
    for (Phase to : Phase.values()) {
      if (from.mayBecome(to)) {
        allowed.add(to);
      }
    }
    return allowed;
  }

  @Test
  void eachPhaseMayBecomeOnlyWhatThePictureShows() {
    assertEquals(EnumSet.of(Phase.DRAINING, Phase.BROKEN, Phase.DONE), next(Phase.READING));
    assertEquals(EnumSet.of(Phase.ANSWERING, Phase.BROKEN, Phase.DONE), next(Phase.DRAINING));
    assertEquals(EnumSet.of(Phase.DONE), next(Phase.ANSWERING));
    assertEquals(EnumSet.of(Phase.DONE), next(Phase.BROKEN));
    assertEquals(EnumSet.noneOf(Phase.class), next(Phase.DONE), "done is final");
  }
}
