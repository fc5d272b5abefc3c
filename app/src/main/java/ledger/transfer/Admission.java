package ledger.transfer;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The node's bound on transfer work in flight (creates, each element of a batch, posts and
 * voids of pending transfers). Work past the bound is refused before any coordinator exists
 * (503 overloaded with Retry-After), so that under overload the node keeps doing the work it
 * has at full speed instead of letting every transfer in flight run past its deadline. A batch
 * takes its places all at once or not at all; a batch larger than the whole bound is let in
 * when nothing else is in flight, so that every batch the API accepts can run.
 */
public final class Admission {
  private final int max;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final IntConsumer onChange;

  /** {@code onChange} sees the count in flight after every change (a metrics gauge). */
  public Admission(int max, IntConsumer onChange) {
    if (max < 1) {
      throw new IllegalArgumentException("transfers-in-flight-max must be at least 1, not " + max);
    }
    this.max = max;
    this.onChange = onChange;
  }

  public int max() {
    return max;
  }

  /** Takes {@code n} places, all or none; false when the node is full. */
  public boolean tryEnter(int n) {
    while (true) {
      int current = inFlight.get();
      if (current > 0 && current + n > max) {
        return false;
      }
      if (inFlight.compareAndSet(current, current + n)) {
        onChange.accept(current + n);
        return true;
      }
    }
  }

  /** Gives back {@code n} places taken by {@link #tryEnter}. */
  public void exit(int n) {
    onChange.accept(inFlight.addAndGet(-n));
  }

  public int inFlight() {
    return inFlight.get();
  }
}
