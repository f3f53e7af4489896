package io.chunkrelay.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promise 10's retention side (data past retention leaves whole, and what is gone is said to
 * be gone): runs the database's {@code maintain_log()} (as the schema's owner, through SECURITY
 * DEFINER), which creates the daily partitions of the coming days and drops the days past the
 * policy, marking their streams expired. Every node runs it at start-up and then on a schedule; the
 * function lets one caller at a time through and the others return at once, so several nodes are
 * safe. Thread-safe.
 */
public final class Retention {
  private static final Logger LOG = LoggerFactory.getLogger(Retention.class);
  private static final long RETRY_MINUTES = 1;

  /** One thing {@code maintain_log()} did: ensured, dropped, held (legal hold) or busy. */
  public record Action(String action, String partition, LocalDate day, Long expiredStreams) {}

  /**
   * The policy: days a stream's chunks are kept ({@code null}: forever), days keys and idle
   * producers are kept, and how often a node runs it.
   */
  public record Policy(Integer retentionDays, int keyTtlDays, int intervalMinutes) {}

  /** The database refused the policy (a retention below its floor, CR009). */
  public static final class PolicyRefused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PolicyRefused(String message) {
      super(message);
    }
  }

  private final DataSource dataSource;
  private final Policy settings;

  private Retention(DataSource dataSource, Policy settings) {
    this.dataSource = dataSource;
    this.settings = settings;
  }

  /** Retention of the log in {@code database}, with the node's policy. */
  public static Retention over(Database database, Policy policy) {
    return new Retention(database.dataSource(), policy);
  }

  /**
   * Runs it once; returns what it did.
   *
   * @throws PolicyRefused if the database refuses the policy (below its floor)
   */
  public List<Action> run() {
    List<Action> actions = new ArrayList<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement maintain =
            connection.prepareStatement(
                "select action, partition_name, day, expired_streams from maintain_log(?, ?)")) {
      if (settings.retentionDays() == null) {
        maintain.setNull(1, Types.INTEGER);
      } else {
        maintain.setInt(1, settings.retentionDays());
      }
      maintain.setInt(2, settings.keyTtlDays());
      try (ResultSet rows = maintain.executeQuery()) {
        while (rows.next()) {
          long expired = rows.getLong(4);
          actions.add(
              new Action(
                  rows.getString(1),
                  rows.getString(2),
                  rows.getObject(3, LocalDate.class),
                  rows.wasNull() ? null : expired));
        }
      }
    } catch (SQLException e) {
      if ("CR009".equals(e.getSQLState())) {
        throw new PolicyRefused(e.getMessage());
      }
      throw new StoreException("running retention (maintain_log) failed", e);
    }
    for (Action action : actions) {
      if (action.action().equals("dropped")) {
        LOG.info(
            "retention dropped partition {} (day {}{})",
            action.partition(),
            action.day(),
            action.expiredStreams() == null
                ? ""
                : ", " + action.expiredStreams() + " streams expired");
      } else if (action.action().equals("held")) {
        LOG.info(
            "retention kept partition {} (day {}): a stream of that day is on legal hold",
            action.partition(),
            action.day());
      }
    }
    return actions;
  }

  /**
   * Runs it now, then every {@code intervalMinutes} on {@code timer} (a failed run is tried again a
   * minute later). A refused policy stops the start-up: the node would otherwise keep what its
   * operator asked it to drop.
   *
   * @throws PolicyRefused if the database refuses the policy
   */
  public void start(ScheduledExecutorService timer) {
    LOG.info(
        "retention: chunks kept {}, idempotency keys and idle producers {} days; checked every {}"
            + " minutes",
        settings.retentionDays() == null ? "forever" : settings.retentionDays() + " days",
        settings.keyTtlDays(),
        settings.intervalMinutes());
    long next = settings.intervalMinutes();
    try {
      run();
    } catch (StoreException e) {
      LOG.warn("retention failed at start-up, trying again in a minute: {}", e.toString());
      next = RETRY_MINUTES;
    }
    timer.schedule(() -> scheduled(timer), next, TimeUnit.MINUTES);
  }

  private void scheduled(ScheduledExecutorService timer) {
    long next = settings.intervalMinutes();
    try {
      run();
    } catch (RuntimeException e) {
      LOG.warn("retention failed, trying again in a minute: {}", e.toString());
      next = RETRY_MINUTES;
    }
    timer.schedule(() -> scheduled(timer), next, TimeUnit.MINUTES);
  }
}
