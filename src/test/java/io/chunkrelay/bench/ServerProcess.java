package io.chunkrelay.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The process behind a server the benchmark drives, found by the loopback port it listens on: its
 * pid, and its CPU time from the kernel's per-process statistics, for a server that has no {@code
 * /metrics} of its own (the reference relay).
 */
final class ServerProcess {
  private ServerProcess() {}

  /** The pid of the process listening on {@code port}, or null when none is found. */
  static String pidListeningOn(int port) throws Exception {
    Process ss = new ProcessBuilder("ss", "-ltnpH", "sport = :" + port).start();
    String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    ss.waitFor(10, TimeUnit.SECONDS);
    int at = out.indexOf("pid=");
    if (at < 0) {
      return null;
    }
    int end = at + 4;
    while (end < out.length() && Character.isDigit(out.charAt(end))) {
      end++;
    }
    return out.substring(at + 4, end);
  }

  /**
   * User plus system CPU time of the process listening on {@code port}, milliseconds ({@code
   * /proc/<pid>/stat}, in clock ticks of {@code getconf CLK_TCK}); -1 when it cannot be read.
   */
  static long cpuMillis(int port) {
    try {
      String pid = pidListeningOn(port);
      if (pid == null) {
        return -1;
      }
      String stat = Files.readString(Path.of("/proc", pid, "stat"));
      // The fields after the command name, which is in parentheses and may hold spaces.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
      return ticks * 1000 / clockTicksPerSecond();
    } catch (Exception e) {
      return -1;
    }
  }

  private static long clockTicksPerSecond() throws Exception {
    Process getconf = new ProcessBuilder("getconf", "CLK_TCK").start();
    String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    getconf.waitFor(10, TimeUnit.SECONDS);
    return Long.parseLong(out.trim());
  }
}
