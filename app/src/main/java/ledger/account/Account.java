package ledger.account;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import ledger.money.Money;

/**
 * The live state of one account: immutable, every change returns a new value. The four
 * counters are never negative; {@code balance} and {@code available} are derived.
 */
public record Account(
    String id,
    AccountSpec createdWith,
    Status status,
    Long minBalance,
    Long maxBalance,
    Map<String, String> metadata,
    long debitsPosted,
    long creditsPosted,
    long debitsPending,
    long creditsPending,
    long version,
    Instant createdAt,
    Instant updatedAt) implements AccountEntity.State {

  public enum Status { OPEN, LOCKED, CLOSED }

  public Account {
    Objects.requireNonNull(id);
    Objects.requireNonNull(status);
    metadata = Map.copyOf(metadata);
    if (debitsPosted < 0 || creditsPosted < 0 || debitsPending < 0 || creditsPending < 0) {
      throw new IllegalStateException("negative counter on account " + id);
    }
    if (version < 1) {
      throw new IllegalStateException("version must start at 1 on account " + id);
    }
  }

  static Account opened(String id, AccountSpec spec, Instant at) {
    return new Account(id, spec, Status.OPEN, spec.minBalance(), spec.maxBalance(),
        spec.metadata(), 0, 0, 0, 0, 1, at, at);
  }

  public String currency() {
    return createdWith.currency();
  }

  /** credits_posted - debits_posted: both counters are in [0, MAX], so this cannot overflow. */
  public long balance() {
    return creditsPosted - debitsPosted;
  }

  /** balance - debits_pending; exact, it throws rather than wrap. */
  public long available() {
    return Money.subtract(balance(), debitsPending);
  }

  public boolean hasPending() {
    return debitsPending != 0 || creditsPending != 0;
  }

  /** Whether the current counters respect the given limits (null = unbounded). */
  public boolean withinLimits(Long min, Long max) {
    try {
      if (min != null && available() < min) {
        return false;
      }
      return max == null || Money.subtract(Money.add(creditsPosted, creditsPending), debitsPosted) <= max;
    } catch (ArithmeticException overflow) {
      return false;
    }
  }

  Account withStatus(Status next, Instant at) {
    return new Account(id, createdWith, next, minBalance, maxBalance, metadata, debitsPosted,
        creditsPosted, debitsPending, creditsPending, version + 1, createdAt, at);
  }

  Account withLimits(Long min, Long max, Map<String, String> meta, Instant at) {
    return new Account(id, createdWith, status, min, max, meta, debitsPosted, creditsPosted,
        debitsPending, creditsPending, version + 1, createdAt, at);
  }
}
