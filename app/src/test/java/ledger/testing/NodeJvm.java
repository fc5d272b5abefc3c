package ledger.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command that starts a node as a separate JVM in a test (DevProcess, ClusterNodeProcess):
 * this JVM's java, a small heap, and two options for a test node's short life on a box whose two
 * cores the test's load, the other nodes and Cassandra already share:
 * <ul>
 *   <li>{@code -XX:TieredStopAtLevel=1}: the client compiler only. A test node lives one to three
 *       minutes; the server compiler's threads would spend much of that competing with the test
 *       for the cores (measured: three nodes up in 15.6 s instead of 24.3 s, a node restarted
 *       under the chaos test's load ready in 10-23 s instead of 46-67 s);</li>
 *   <li>{@code -XX:+UseSerialGC}: one collector thread for a 256 MiB heap.</li>
 * </ul>
 * Production nodes (the {@code ledger} script, the image) keep the JVM's defaults. Further
 * options, e.g. to compare: {@code -Dledger.test.node-java-options="-XX:TieredStopAtLevel=4"}
 * (appended, so they win).
 */
public final class NodeJvm {
  private NodeJvm() {}

  /** {@code java} and its options, up to (not including) the class path. */
  public static List<String> command() {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
    String extra = System.getProperty("ledger.test.node-java-options", "").trim();
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.split("\\s+")));
    }
    return command;
  }
}
