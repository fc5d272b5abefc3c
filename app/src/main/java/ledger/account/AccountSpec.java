package ledger.account;

import java.util.Map;
import ledger.core.CborSerializable;

/**
 * What a client asked for when it created an account. Kept unchanged in the account's state,
 * so that a retried create is compared with the original request, not with later changes.
 *
 * @param minBalance lower bound of {@code available}; null means unbounded
 * @param maxBalance upper bound of {@code credits_posted + credits_pending - debits_posted};
 *     null means unbounded
 */
public record AccountSpec(String currency, Long minBalance, Long maxBalance,
                          Map<String, String> metadata) implements CborSerializable {
  public AccountSpec {
    metadata = Map.copyOf(metadata);
  }
}
