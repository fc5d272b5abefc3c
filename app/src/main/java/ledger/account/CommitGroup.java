package ledger.account;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import ledger.account.AccountEntity.Event;
import ledger.account.AccountEntity.State;

/**
 * Group commit: the events an account has decided but not yet written, the state they lead
 * to, and the answers that wait for them. Every answer given while a group is open was decided
 * against that state (refusals included), so each waits for the group's write: if the write
 * fails, none of them is sent.
 *
 * <p>Bounded by events and by an estimate of their size, so that one write stays one modest
 * single-partition batch (far below Cassandra's batch_size_fail_threshold of 50 KiB).
 */
final class CommitGroup {
  /** A bound on a group: it is written as soon as either is reached. */
  record Bound(int maxEvents, int maxBytes) {
    Bound {
      if (maxEvents < 1 || maxBytes < 1) {
        throw new IllegalArgumentException("a group holds at least one event");
      }
    }
  }

  private final Bound bound;
  private final List<Event> events = new ArrayList<>();
  private final List<Runnable> answers = new ArrayList<>();
  private State state;
  private int bytes;

  CommitGroup(Bound bound) {
    this.bound = bound;
  }

  boolean isEmpty() {
    return events.isEmpty();
  }

  /** The state after every event of the group; only while the group is not empty. */
  State state() {
    if (isEmpty()) {
      throw new IllegalStateException("an empty group has no state of its own");
    }
    return state;
  }

  /** Adds an event (and the state after it) with its answer; true when the group is full. */
  boolean add(Event event, State after, Runnable answer) {
    events.add(event);
    answers.add(answer);
    state = after;
    bytes += estimatedBytes(event);
    return events.size() >= bound.maxEvents() || bytes >= bound.maxBytes();
  }

  /** An answer without an event that was decided against the group's state. */
  void defer(Runnable answer) {
    if (isEmpty()) {
      throw new IllegalStateException("nothing to wait for");
    }
    answers.add(answer);
  }

  /** The group's events and answers, leaving this group empty for the next one. */
  Taken take() {
    Taken taken = new Taken(List.copyOf(events), List.copyOf(answers));
    clear();
    return taken;
  }

  /** Forgets everything: after a failed write the entity recovers from the journal. */
  void clear() {
    events.clear();
    answers.clear();
    state = null;
    bytes = 0;
  }

  record Taken(List<Event> events, List<Runnable> answers) {}

  /**
   * An upper estimate of an event's serialized size: a leg event is of fixed shape (ids,
   * amounts, counters); an account's metadata can grow, bounded by ledger.limits, and so can who
   * asked (a JWT subject of up to 128 characters; within the fixed part of a lock, unlock or close).
   */
  static int estimatedBytes(Event event) {
    int fixed = 512;
    if (event instanceof AccountEntity.Created e) {
      return fixed + metadataBytes(e.spec().metadata()) + textBytes(e.requestedBy());
    } else if (event instanceof AccountEntity.LimitsChanged e) {
      return fixed + metadataBytes(e.metadata()) + textBytes(e.requestedBy());
    }
    return fixed;
  }

  private static int textBytes(String text) {
    return text == null ? 0 : 3 * text.length();
  }

  private static int metadataBytes(Map<String, String> metadata) {
    int n = 0;
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair is 4 bytes for 2 units).
      n += 8 + 3 * (e.getKey().length() + e.getValue().length());
    }
    return n;
  }
}
