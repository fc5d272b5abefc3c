package ledger.query;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import ledger.money.Money;

/** What the query tables hold, as read back. */
public final class QueryRows {
  private QueryRows() {}

  /** An account_list row: the account as of its highest projected version. */
  public record AccountRow(String id, String currency, String status, Long minBalance, Long maxBalance,
                           Map<String, String> metadata, long debitsPosted, long creditsPosted, long debitsPending,
                           long creditsPending, long version, Instant createdAt, Instant updatedAt) {
    public long balance() {
      return Money.balance(creditsPosted, debitsPosted);
    }

    public long available() {
      return Money.available(creditsPosted, debitsPosted, debitsPending);
    }
  }

  /** One statement entry: a leg event on one side of an account, with the counters after it. */
  public record Entry(String accountId, long version, String side, String transferId, long amount, String status,
                      Long debitsPosted, Long creditsPosted, Long debitsPending, Long creditsPending, Instant at) {
    public Long balanceAfter() {
      return creditsPosted == null ? null : Money.balance(creditsPosted, debitsPosted);
    }

    public Long availableAfter() {
      return creditsPosted == null ? null : Money.available(creditsPosted, debitsPosted, debitsPending);
    }
  }

  /** A transfer as one account sees it. */
  public record AccountTransfer(String accountId, long preparedVersion, String transferId, long debit, long credit,
                                Long postedAmount, String status, Instant preparedAt, Instant deadline,
                                long updatedVersion, Instant updatedAt) {}

  public record PendingLegRow(Instant dueAt, String accountId, String transferId, String currency, long debit,
                              long credit) {}

  /** The four totals of one currency, summed over the accounts' latest counters. */
  public record Totals(String currency, BigInteger debitsPosted, BigInteger creditsPosted,
                       BigInteger debitsPending, BigInteger creditsPending, long accounts) {
    public boolean balanced() {
      return debitsPosted.equals(creditsPosted) && debitsPending.equals(creditsPending);
    }
  }

  public record Page<T>(List<T> items, Long next) {}

  public record AccountPage(List<AccountRow> accounts, String next) {}
}
