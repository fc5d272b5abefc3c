package ledger.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Separate network hosts on this machine for cluster tests that cut the network: one Linux
 * network namespace per host, each with a veth pair into a bridge in the test's own namespace,
 * which holds {@link #gatewayAddress()} (the test JVM, and through a relay the test Cassandra).
 * Host i (1-based) has address 10.210.0.(10+i). Needs root and iproute2's {@code ip}.
 *
 * <p>{@link #cut(int, int)} drops every packet between two hosts, both ways, with blackhole
 * routes inside both namespaces: established connections stall, new ones never complete,
 * nobody gets an error — a partition as a switch failure makes it, not a refused connection.
 * Traffic of each host with the gateway (clients, Cassandra) goes on.
 */
public final class NetworkNamespaces implements AutoCloseable {
  private static final String PREFIX = "ledgerpt";
  private static final String BRIDGE = PREFIX + "-br";
  private static final String SUBNET = "10.210.0.";

  private final int hosts;

  private NetworkNamespaces(int hosts) {
    this.hosts = hosts;
  }

  /** Creates {@code hosts} namespaces on a fresh bridge, after removing any left by an aborted run. */
  public static NetworkNamespaces create(int hosts) {
    removeLeftovers();
    NetworkNamespaces network = new NetworkNamespaces(hosts);
    Runtime.getRuntime().addShutdownHook(new Thread(NetworkNamespaces::removeLeftovers, "remove-network-namespaces"));
    ip("link", "add", BRIDGE, "type", "bridge");
    ip("addr", "add", gatewayAddress() + "/24", "dev", BRIDGE);
    ip("link", "set", BRIDGE, "up");
    for (int i = 1; i <= hosts; i++) {
      String ns = namespace(i);
      String outside = PREFIX + "-h" + i;
      String inside = PREFIX + "-c" + i;
      ip("netns", "add", ns);
      ip("link", "add", outside, "type", "veth", "peer", "name", inside);
      ip("link", "set", inside, "netns", ns);
      ip("link", "set", outside, "master", BRIDGE);
      ip("link", "set", outside, "up");
      ip("-n", ns, "addr", "add", address(i) + "/24", "dev", inside);
      ip("-n", ns, "link", "set", inside, "up");
      ip("-n", ns, "link", "set", "lo", "up");
    }
    return network;
  }

  /** The test's own address on the bridge, which every host reaches. */
  public static String gatewayAddress() {
    return SUBNET + "1";
  }

  /** The address of host {@code i} (1-based). */
  public static String address(int i) {
    return SUBNET + (10 + i);
  }

  /** The command prefix that runs a program on host {@code i}. */
  public List<String> runOn(int i) {
    return List.of("ip", "netns", "exec", namespace(i));
  }

  /** Host {@code a} and host {@code b} no longer reach each other, either way. */
  public void cut(int a, int b) {
    ip("-n", namespace(a), "route", "add", "blackhole", address(b) + "/32");
    ip("-n", namespace(b), "route", "add", "blackhole", address(a) + "/32");
  }

  /** Host {@code i} no longer reaches any other host (the gateway it still reaches). */
  public void isolate(int i) {
    for (int other = 1; other <= hosts; other++) {
      if (other != i) {
        cut(i, other);
      }
    }
  }

  /** Every cut healed. */
  public void healAll() {
    for (int i = 1; i <= hosts; i++) {
      for (int other = 1; other <= hosts; other++) {
        if (other != i) {
          run(List.of("ip", "-n", namespace(i), "route", "del", "blackhole", address(other) + "/32"));
        }
      }
    }
  }

  @Override
  public void close() {
    removeLeftovers();
  }

  private static String namespace(int i) {
    return PREFIX + "-n" + i;
  }

  /** Deletes the bridge and every namespace of this class (their veth ends go with them). */
  private static void removeLeftovers() {
    String list = run(List.of("ip", "netns", "list"));
    for (String line : list.split("\n")) {
      String name = line.split(" ")[0].trim();
      if (name.startsWith(PREFIX + "-n")) {
        run(List.of("ip", "netns", "del", name));
      }
    }
    run(List.of("ip", "link", "del", BRIDGE));
    for (int i = 1; i <= 9; i++) {
      run(List.of("ip", "link", "del", PREFIX + "-h" + i));
    }
  }

  private static void ip(String... args) {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    String output = run(command);
    if (output.startsWith("FAILED")) {
      throw new IllegalStateException(String.join(" ", command) + ": " + output);
    }
  }

  /** Runs a command; its output, or FAILED and the output when it exits non-zero. */
  private static String run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return p.waitFor() == 0 ? output : "FAILED (" + p.exitValue() + ") " + output;
    } catch (IOException e) {
      return "FAILED " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "FAILED interrupted";
    }
  }
}
