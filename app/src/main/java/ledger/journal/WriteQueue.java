package ledger.journal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Group commit across entities: at most {@code maxInFlight} requests to Cassandra at once; the
 * writes that arrive meanwhile wait here and go out together in the next request, up to
 * {@code maxBatchWrites} writes and {@code maxBatchBytes}. One write (one entity's atomic write)
 * is never split, and is sent alone when it is larger than the byte bound. Every write of a
 * request shares its outcome: a failed request fails them all. At most {@code maxQueued} writes
 * wait; one more is refused at once ({@link Overloaded}) instead of waiting without bound.
 *
 * <p>Thread-safe: writes come from the journal actor, outcomes from the driver's threads.
 * Outcomes are handled on {@code executor}, so a chain of requests never deepens a stack.
 */
final class WriteQueue<W> {
  /** Sends a batch of writes as one request. */
  interface Sender<W> {
    CompletionStage<Void> send(List<W> writes);
  }

  /** The write would wait behind more than maxQueued others. */
  static final class Overloaded extends RuntimeException {
    Overloaded(String message) {
      super(message, null, false, false);
    }
  }

  private record Waiting<W>(W write, int bytes, CompletableFuture<Void> done) {}

  private final int maxInFlight;
  private final int maxBatchWrites;
  private final int maxBatchBytes;
  private final int maxQueued;
  private final Sender<W> sender;
  private final Executor executor;
  private final ArrayDeque<Waiting<W>> queue = new ArrayDeque<>();
  private int inFlight;

  WriteQueue(int maxInFlight, int maxBatchWrites, int maxBatchBytes, int maxQueued, Sender<W> sender,
             Executor executor) {
    if (maxInFlight < 1 || maxBatchWrites < 1 || maxBatchBytes < 1 || maxQueued < 1) {
      throw new IllegalArgumentException("write queue bounds must be positive");
    }
    this.maxInFlight = maxInFlight;
    this.maxBatchWrites = maxBatchWrites;
    this.maxBatchBytes = maxBatchBytes;
    this.maxQueued = maxQueued;
    this.sender = sender;
    this.executor = executor;
  }

  /** Queues one write of {@code bytes}; completes when the request that carried it has. */
  CompletionStage<Void> submit(W write, int bytes) {
    Waiting<W> waiting = new Waiting<>(write, bytes, new CompletableFuture<>());
    List<Waiting<W>> batch = null;
    synchronized (this) {
      if (queue.size() >= maxQueued) {
        return CompletableFuture.failedFuture(new Overloaded("journal overloaded: " + queue.size()
            + " writes waiting for Cassandra"));
      }
      queue.add(waiting);
      if (inFlight < maxInFlight) {
        inFlight++;
        batch = take();
      }
    }
    if (batch != null) {
      dispatch(batch);
    }
    return waiting.done();
  }

  /** Writes waiting now (for tests and metrics). */
  synchronized int waiting() {
    return queue.size();
  }

  /** The next batch from the head of the queue; called holding the lock, queue not empty. */
  private List<Waiting<W>> take() {
    List<Waiting<W>> batch = new ArrayList<>();
    long bytes = 0;
    while (!queue.isEmpty() && batch.size() < maxBatchWrites) {
      Waiting<W> next = queue.peek();
      if (!batch.isEmpty() && bytes + next.bytes() > maxBatchBytes) {
        break;
      }
      batch.add(queue.poll());
      bytes += next.bytes();
    }
    return batch;
  }

  private void dispatch(List<Waiting<W>> batch) {
    List<W> writes = new ArrayList<>(batch.size());
    for (Waiting<W> w : batch) {
      writes.add(w.write());
    }
    CompletionStage<Void> sent;
    try {
      sent = sender.send(writes);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenCompleteAsync((ok, failure) -> {
      for (Waiting<W> w : batch) {
        if (failure == null) {
          w.done().complete(null);
        } else {
          w.done().completeExceptionally(failure);
        }
      }
      List<Waiting<W>> next = null;
      synchronized (this) {
        if (queue.isEmpty()) {
          inFlight--;
        } else {
          next = take();
        }
      }
      if (next != null) {
        dispatch(next);
      }
    }, executor);
  }
}
