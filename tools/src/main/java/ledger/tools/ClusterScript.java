package ledger.tools;

import java.io.IOException;

/**
 * The nodes of {@code ./ledger cluster up}, killed and started through the script itself
 * ({@code ./ledger cluster kill I}, {@code start I}, which waits until the node is ready), as
 * {@code ./ledger recovery} and {@code ./ledger chaos} do. Nodes are numbered from 0 here, from
 * 1 by the script. The script's path is the system property {@code ledger.script}.
 */
final class ClusterScript implements Chaos.Nodes {
  private final String ledger = System.getProperty("ledger.script", "./ledger");

  @Override
  public void kill(int node) {
    run("kill", node);
  }

  @Override
  public void start(int node) {
    run("start", node);
  }

  private void run(String verb, int node) {
    String[] command = {ledger, "cluster", verb, Integer.toString(node + 1)};
    try {
      Process p = new ProcessBuilder(command).inheritIO().start();
      if (p.waitFor() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " exited with " + p.exitValue());
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
