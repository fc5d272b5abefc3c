package ledger.testing;

import java.util.concurrent.atomic.AtomicInteger;

/** Ids unique in the test JVM, so that test classes sharing a node ({@link RunningNode}) never meet. */
public final class TestIds {
  private static final AtomicInteger NEXT = new AtomicInteger();

  private TestIds() {}

  /** {@code prefix-N}, N never given out before in this JVM. */
  public static String next(String prefix) {
    return prefix + "-" + NEXT.incrementAndGet();
  }
}
