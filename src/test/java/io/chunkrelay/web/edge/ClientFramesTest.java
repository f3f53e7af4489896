package io.chunkrelay.web.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The client frame check: masked frames within the limit all pass, in any split across reads; the
 * first unmasked or oversized frame stops the bytes before Tyrus would read it.
 */
class ClientFramesTest {
  private static final int LIMIT = 1_000;

  /** A frame as a client sends it: opcode, payload length, masked or not. */
  record Frame(int opcode, int length, boolean masked) {
    byte[] bytes() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(0x80 | opcode);
      int mask = masked ? 0x80 : 0;
      if (length < 126) {
        out.write(mask | length);
      } else if (length < 65_536) {
        out.write(mask | 126);
        out.write(length >>> 8);
        out.write(length & 0xff);
      } else {
        out.write(mask | 127);
        for (int shift = 56; shift >= 0; shift -= 8) {
          out.write((int) (((long) length >>> shift) & 0xff));
        }
      }
      if (masked) {
        out.writeBytes(new byte[] {1, 2, 3, 4});
      }
      out.writeBytes(new byte[length]);
      return out.toByteArray();
    }
  }

  @Property(tries = 500)
  void acceptableFramesPassWhole(
      @ForAll("acceptable") List<Frame> frames,
      @ForAll @IntRange(min = 1, max = 300) int readSize) {
    byte[] wire = concat(frames);
    ClientFrames check = new ClientFrames(LIMIT);
    assertEquals(wire.length, feed(check, wire, readSize));
    assertNull(check.refusal());
  }

  @Property(tries = 500)
  void theFirstRefusedFrameIsStoppedAtItsHeader(
      @ForAll("acceptable") List<Frame> before,
      @ForAll("refused") Frame bad,
      @ForAll("acceptable") List<Frame> after,
      @ForAll @IntRange(min = 1, max = 300) int readSize) {
    byte[] head = concat(before);
    byte[] wire = concat(before, List.of(bad), after);
    ClientFrames check = new ClientFrames(LIMIT);
    int admitted = feed(check, wire, readSize);
    ClientFrames.Refusal expected =
        bad.masked() ? ClientFrames.Refusal.TOO_BIG : ClientFrames.Refusal.UNMASKED;
    assertEquals(expected, check.refusal());
    // Tyrus may see the refused frame's first bytes (it waits for the rest), never its payload.
    int headerBytes = bad.length() < 126 ? 2 : bad.length() < 65_536 ? 4 : 10;
    assertEquals(true, admitted >= head.length && admitted < head.length + headerBytes);
    assertEquals(0, check.admit(wire, 0, wire.length));
  }

  @Test
  void aSixtyFourBitLengthWithItsTopBitSetIsTooBig() {
    byte[] header = {(byte) 0x81, (byte) 0xff, (byte) 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4};
    ClientFrames check = new ClientFrames(LIMIT);
    assertEquals(9, check.admit(header, 0, header.length));
    assertEquals(ClientFrames.Refusal.TOO_BIG, check.refusal());
  }

  @Test
  void aFrameOfExactlyTheLimitPasses() {
    byte[] wire = new Frame(2, LIMIT, true).bytes();
    ClientFrames check = new ClientFrames(LIMIT);
    assertEquals(wire.length, check.admit(wire, 0, wire.length));
    assertNull(check.refusal());
  }

  @Provide
  Arbitrary<List<Frame>> acceptable() {
    Arbitrary<Integer> opcodes = Arbitraries.of(0, 1, 2, 8, 9, 10);
    Arbitrary<Integer> lengths =
        Arbitraries.oneOf(Arbitraries.integers().between(0, 125), Arbitraries.of(126, LIMIT));
    return Combinators.combine(opcodes, lengths)
        .as((opcode, length) -> new Frame(opcode, length, true))
        .list()
        .ofMaxSize(6);
  }

  @Provide
  Arbitrary<Frame> refused() {
    Arbitrary<Frame> unmasked =
        Arbitraries.integers().between(0, LIMIT).map(length -> new Frame(1, length, false));
    Arbitrary<Frame> tooBig =
        Arbitraries.of(LIMIT + 1, 65_535, 70_000).map(length -> new Frame(2, length, true));
    return Arbitraries.oneOf(unmasked, tooBig);
  }

  private static int feed(ClientFrames check, byte[] wire, int readSize) {
    int admitted = 0;
    for (int at = 0; at < wire.length; at += readSize) {
      int length = Math.min(readSize, wire.length - at);
      int passed = check.admit(wire, at, length);
      admitted += passed;
      if (passed < length) {
        break;
      }
    }
    return admitted;
  }

  @SafeVarargs
  private static byte[] concat(List<Frame>... lists) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (List<Frame> frames : lists) {
      frames.forEach(frame -> out.writeBytes(frame.bytes()));
    }
    return out.toByteArray();
  }
}
