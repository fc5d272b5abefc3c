package ledger.account;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import ledger.core.ResultCode;
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
    Map<String, PendingLeg> pending,
    long version,
    Instant createdAt,
    Instant updatedAt) implements AccountEntity.State {

  public enum Status {
    OPEN, LOCKED, CLOSED;

    /** The word for it in the API and the query tables. */
    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public Account {
    Objects.requireNonNull(id);
    Objects.requireNonNull(status);
    metadata = Map.copyOf(metadata);
    pending = Map.copyOf(pending);
    if (debitsPosted < 0 || creditsPosted < 0 || debitsPending < 0 || creditsPending < 0) {
      throw new IllegalStateException("negative counter on account " + id);
    }
    if (version < 1) {
      throw new IllegalStateException("version must start at 1 on account " + id);
    }
    long legDebits = 0;
    long legCredits = 0;
    for (PendingLeg leg : pending.values()) {
      legDebits = Money.add(legDebits, leg.debit());
      legCredits = Money.add(legCredits, leg.credit());
    }
    if (legDebits != debitsPending || legCredits != creditsPending) {
      throw new IllegalStateException("pending counters disagree with pending legs on account " + id);
    }
  }

  static Account opened(String id, AccountSpec spec, Instant at) {
    return new Account(id, spec, Status.OPEN, spec.minBalance(), spec.maxBalance(),
        spec.metadata(), 0, 0, 0, 0, Map.of(), 1, at, at);
  }

  public String currency() {
    return createdWith.currency();
  }

  public long balance() {
    return Money.balance(creditsPosted, debitsPosted);
  }

  public long available() {
    return Money.available(creditsPosted, debitsPosted, debitsPending);
  }

  public boolean hasPending() {
    return !pending.isEmpty();
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

  /** account_closed or account_locked when no new leg may be held, else null. */
  public ResultCode statusRefusal() {
    return switch (status) {
      case CLOSED -> ResultCode.ACCOUNT_CLOSED;
      case LOCKED -> ResultCode.ACCOUNT_LOCKED;
      case OPEN -> null;
    };
  }

  /**
   * overflow, exceeds_min_balance or exceeds_max_balance if holding the leg would break a
   * counter or a limit, else null. Pending amounts count against the limits, so a prepared
   * leg can always be posted (and posting cannot overflow: posted + pending fits).
   */
  public ResultCode limitRefusal(PendingLeg leg) {
    long available;
    long creditsWithPending;
    try {
      long newDebitsPending = Money.add(debitsPending, leg.debit());
      creditsWithPending = Money.add(creditsPosted, Money.add(creditsPending, leg.credit()));
      Money.add(debitsPosted, newDebitsPending);
      available = Money.subtract(balance(), newDebitsPending);
    } catch (ArithmeticException overflow) {
      return ResultCode.OVERFLOW;
    }
    if (minBalance != null && available < minBalance) {
      return ResultCode.EXCEEDS_MIN_BALANCE;
    }
    if (maxBalance != null && creditsWithPending - debitsPosted > maxBalance) {
      return ResultCode.EXCEEDS_MAX_BALANCE;
    }
    return null;
  }

  Account withStatus(Status next, Instant at) {
    return new Account(id, createdWith, next, minBalance, maxBalance, metadata, debitsPosted,
        creditsPosted, debitsPending, creditsPending, pending, version + 1, createdAt, at);
  }

  Account withLimits(Long min, Long max, Map<String, String> meta, Instant at) {
    return new Account(id, createdWith, status, min, max, meta, debitsPosted, creditsPosted,
        debitsPending, creditsPending, pending, version + 1, createdAt, at);
  }

  Account withLeg(PendingLeg leg, Instant at) {
    if (pending.containsKey(leg.transferId())) {
      throw new IllegalStateException("leg " + leg.transferId() + " already pending on " + id);
    }
    Map<String, PendingLeg> legs = new HashMap<>(pending);
    legs.put(leg.transferId(), leg);
    return new Account(id, createdWith, status, minBalance, maxBalance, metadata, debitsPosted, creditsPosted,
        Money.add(debitsPending, leg.debit()), Money.add(creditsPending, leg.credit()), legs, version + 1,
        createdAt, at);
  }

  /**
   * Removes the leg and posts it: in full, or (one-sided legs of one-leg transfers) only
   * {@code partial}, releasing the rest.
   */
  Account withLegPosted(String transferId, Long partial, Instant at) {
    PendingLeg leg = requireLeg(transferId);
    long debit = leg.debit();
    long credit = leg.credit();
    if (partial != null) {
      if ((debit != 0 && credit != 0) || partial < 1 || partial > debit + credit) {
        throw new IllegalStateException("partial post " + partial + " does not fit leg " + leg);
      }
      debit = debit == 0 ? 0 : partial;
      credit = credit == 0 ? 0 : partial;
    }
    return without(leg, Money.add(debitsPosted, debit), Money.add(creditsPosted, credit), at);
  }

  Account withLegVoided(String transferId, Instant at) {
    return without(requireLeg(transferId), debitsPosted, creditsPosted, at);
  }

  private Account without(PendingLeg leg, long newDebitsPosted, long newCreditsPosted, Instant at) {
    Map<String, PendingLeg> legs = new HashMap<>(pending);
    legs.remove(leg.transferId());
    return new Account(id, createdWith, status, minBalance, maxBalance, metadata, newDebitsPosted,
        newCreditsPosted, debitsPending - leg.debit(), creditsPending - leg.credit(), legs, version + 1,
        createdAt, at);
  }

  private PendingLeg requireLeg(String transferId) {
    PendingLeg leg = pending.get(transferId);
    if (leg == null) {
      throw new IllegalStateException("no pending leg " + transferId + " on account " + id);
    }
    return leg;
  }
}
