package ledger.tools;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stages of a failover, read from the surviving nodes' logs: when a node marked the dead one
 * unreachable, when the split brain resolver downed it, when the leader removed it, when the
 * account shard coordinator started and was ready on the new oldest (if the dead node was the
 * oldest), and when the last account shard was allocated again. Each as milliseconds after the
 * kill. The lines are Akka 2.6.21's, in the node's log pattern ({@code %date{ISO8601}}: local
 * time with milliseconds, {@code app/src/main/resources/logback.xml}):
 *
 * <ul>
 *   <li>unreachable: {@code Cluster Node [..] - Marking node as UNREACHABLE [Member(<dead>, Up)].}
 *       (akka.cluster.Cluster, WARN), the first on any surviving node;
 *   <li>downed: {@code SBR took decision DownUnreachable and is downing [<dead>] ..}
 *       (ledger.cluster.ShortTickSplitBrainResolver, akka.cluster.sbr.SplitBrainResolver before; WARN;
 *       only the text is matched) or the leader's {@code Marking unreachable node
 *       [<dead>] as [Down]} (INFO), whichever comes first;
 *   <li>removed: {@code Leader is removing unreachable node [<dead>]} (INFO);
 *   <li>fenced: {@code lease of node [<dead>#uid] revoked at epoch ..} (ledger.fencing.NodeLease,
 *       WARN): from then on the dead node's shards may start elsewhere;
 *   <li>coordinator started: {@code Singleton manager starting singleton actor
 *       [akka://ledger/system/sharding/AccountCoordinator/singleton]}
 *       (akka.cluster.singleton.ClusterSingletonManager, INFO);
 *   <li>coordinator ready: {@code Account: Coordinator initialization completed}
 *       (akka.cluster.sharding.PersistentShardCoordinator, DEBUG);
 *   <li>shards allocated: the last {@code Account: Shard [17] allocated at [..]} (the same logger,
 *       DEBUG): after a kill the account shards allocated are the dead node's (every account was
 *       created before the kill), so the last one is when the last of them has a home again.
 * </ul>
 *
 * The two DEBUG lines need that logger at DEBUG and {@code akka.loglevel = DEBUG} (Akka drops
 * debug events below its own level before they reach SLF4J): {@code ./ledger cluster} starts its
 * nodes so ({@code LEDGER_AKKA_LOG_LEVEL}, {@code LEDGER_SHARD_COORDINATOR_LOG_LEVEL}); without
 * them those stages are absent (-1).
 */
public final class FailoverTimeline {
  /** The node log's timestamp, {@code %date{ISO8601}}: local time, comma before the milliseconds. */
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");
  private static final Pattern LINE = Pattern.compile("^(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2},\\d{3}) (.*)$");
  private static final Pattern ALLOCATED = Pattern.compile("\\bAccount: Shard \\[[^\\]]+\\] allocated at \\[");

  /** The stages in order, with the name each is printed under. */
  public enum Stage {
    UNREACHABLE("unreachable"),
    DOWNED("downed"),
    REMOVED("removed"),
    FENCED("fenced"),
    COORDINATOR_STARTED("coordinator started"),
    COORDINATOR_READY("coordinator ready"),
    SHARDS_ALLOCATED("shards allocated");

    final String label;

    Stage(String label) {
      this.label = label;
    }
  }

  /**
   * The stages seen ({@code -1} where none was), milliseconds after the kill; how many account
   * shards were allocated; and when the last account was served again (from the probes).
   */
  public record Timeline(Map<Stage, Long> stages, int shardsAllocated, long lastAccountMillis) {
    public long at(Stage stage) {
      return stages.getOrDefault(stage, -1L);
    }

    @Override
    public String toString() {
      StringBuilder s = new StringBuilder();
      for (Stage stage : Stage.values()) {
        long ms = at(stage);
        s.append(s.length() == 0 ? "" : ", ").append(stage.label).append(' ').append(ms < 0 ? "-" : "+" + ms + " ms");
        if (stage == Stage.SHARDS_ALLOCATED && ms >= 0) {
          s.append(" (").append(shardsAllocated).append(" shards)");
        }
      }
      return s.append(", last account +").append(lastAccountMillis).append(" ms").toString();
    }
  }

  private FailoverTimeline() {}

  /**
   * The stages in {@code lines} (of the surviving nodes' logs, in any order) that concern the
   * node at remoting address {@code dead} ({@code host:port}) and fall between {@code killedAt}
   * and {@code until}.
   */
  public static Timeline read(List<String> lines, String dead, Instant killedAt, Instant until, long lastAccountMillis,
                              ZoneId zone) {
    Pattern deadNode = Pattern.compile("akka://[^@\\s]+@" + Pattern.quote(dead) + "(?!\\d)");
    Map<Stage, Long> first = new EnumMap<>(Stage.class);
    long lastAllocation = -1;
    int allocations = 0;
    for (String line : lines) {
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        continue;
      }
      Instant at;
      try {
        at = LocalDateTime.parse(m.group(1), STAMP).atZone(zone).toInstant();
      } catch (DateTimeParseException e) {
        continue;
      }
      if (at.isBefore(killedAt) || at.isAfter(until)) {
        continue;
      }
      long ms = at.toEpochMilli() - killedAt.toEpochMilli();
      String text = m.group(2);
      Stage stage = null;
      if (mentions(text, "Marking node as UNREACHABLE [", deadNode)) {
        stage = Stage.UNREACHABLE;
      } else if ((text.contains("SBR took decision ") && mentions(text, " and is downing [", deadNode))
          || (mentions(text, "Marking unreachable node [", deadNode) && text.contains("] as [Down]"))) {
        stage = Stage.DOWNED;
      } else if (mentions(text, "Leader is removing unreachable node [", deadNode)) {
        stage = Stage.REMOVED;
      } else if (mentions(text, "lease of node [", deadNode) && text.contains("] revoked")) {
        stage = Stage.FENCED;
      } else if (text.contains("Singleton manager starting singleton actor [") && text.contains("/AccountCoordinator/")) {
        stage = Stage.COORDINATOR_STARTED;
      } else if (text.contains("Account: Coordinator initialization completed")) {
        stage = Stage.COORDINATOR_READY;
      } else if (ALLOCATED.matcher(text).find()) {
        allocations++;
        lastAllocation = Math.max(lastAllocation, ms);
      }
      if (stage != null) {
        first.merge(stage, ms, Math::min);
      }
    }
    if (lastAllocation >= 0) {
      first.put(Stage.SHARDS_ALLOCATED, lastAllocation);
    }
    return new Timeline(first, allocations, lastAccountMillis);
  }

  /** Whether {@code text} has {@code marker} (ending in "[") and the dead node's address before the next "]". */
  private static boolean mentions(String text, String marker, Pattern node) {
    int at = text.indexOf(marker);
    if (at < 0) {
      return false;
    }
    int from = at + marker.length();
    int to = text.indexOf(']', from);
    return node.matcher(text).region(from, to < 0 ? text.length() : to).find();
  }

  /**
   * Where each log file ends now: {@link #linesSince} reads only what was written after, so that
   * a long log (the audit trail is one line per change request) is not read whole every run.
   */
  public static long[] ends(List<String> logs) {
    long[] ends = new long[logs.size()];
    for (int i = 0; i < logs.size(); i++) {
      try {
        ends[i] = Files.size(Path.of(logs.get(i)));
      } catch (IOException e) {
        ends[i] = 0;
      }
    }
    return ends;
  }

  /** The lines written to each log but {@code skip} since {@code from} (its {@link #ends}). */
  public static List<String> linesSince(List<String> logs, long[] from, int skip) throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < logs.size(); i++) {
      if (i == skip || !Files.exists(Path.of(logs.get(i)))) {
        continue;
      }
      try (RandomAccessFile file = new RandomAccessFile(logs.get(i), "r")) {
        long start = Math.min(from[i], file.length());
        byte[] bytes = new byte[(int) Math.min(Integer.MAX_VALUE - 8, file.length() - start)];
        file.seek(start);
        file.readFully(bytes);
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
          lines.add(line);
        }
      }
    }
    return lines;
  }
}
