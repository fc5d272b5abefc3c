package ledger.transfer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import ledger.account.Posting;
import ledger.core.CborSerializable;
import ledger.core.ResultCode;

/**
 * A validated transfer request, normalized: a one-leg request is a list of one leg, and a
 * pending transfer always carries its effective timeout. Kept in the transfer's record, so
 * that a retry is compared with exactly what was decided.
 */
public record TransferRequest(List<Leg> legs, boolean pending, Long timeoutSeconds, Map<String, String> metadata)
    implements CborSerializable {
  public TransferRequest {
    legs = List.copyOf(legs);
    metadata = Map.copyOf(metadata);
    if (legs.isEmpty()) {
      throw new IllegalArgumentException("a transfer has at least one leg");
    }
    if (pending != (timeoutSeconds != null)) {
      throw new IllegalArgumentException("exactly the pending transfers have a timeout");
    }
  }

  /** The postings of each account, accounts in precedence order (leg order, debit first). */
  public Map<String, List<Posting>> postingsByAccount() {
    Map<String, List<Posting>> byAccount = new LinkedHashMap<>();
    for (Leg leg : legs) {
      byAccount.computeIfAbsent(leg.debitAccountId(), k -> new ArrayList<>())
          .add(new Posting(Posting.Side.DEBIT, leg.amount(), leg.currency()));
      byAccount.computeIfAbsent(leg.creditAccountId(), k -> new ArrayList<>())
          .add(new Posting(Posting.Side.CREDIT, leg.amount(), leg.currency()));
    }
    return byAccount;
  }

  /** The first field in which {@code other} differs, as its exists_with_different_ code. */
  public ResultCode firstDifference(TransferRequest other) {
    if (legs.size() == 1 && other.legs.size() == 1) {
      Leg a = legs.get(0);
      Leg b = other.legs.get(0);
      if (!a.debitAccountId().equals(b.debitAccountId())) {
        return ResultCode.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID;
      }
      if (!a.creditAccountId().equals(b.creditAccountId())) {
        return ResultCode.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID;
      }
      if (a.amount() != b.amount()) {
        return ResultCode.EXISTS_WITH_DIFFERENT_AMOUNT;
      }
      if (!a.currency().equals(b.currency())) {
        return ResultCode.EXISTS_WITH_DIFFERENT_CURRENCY;
      }
    } else if (!legs.equals(other.legs)) {
      return ResultCode.EXISTS_WITH_DIFFERENT_LEGS;
    }
    if (pending != other.pending) {
      return ResultCode.EXISTS_WITH_DIFFERENT_PENDING;
    }
    if (!Objects.equals(timeoutSeconds, other.timeoutSeconds)) {
      return ResultCode.EXISTS_WITH_DIFFERENT_TIMEOUT_SECONDS;
    }
    if (!metadata.equals(other.metadata)) {
      return ResultCode.EXISTS_WITH_DIFFERENT_METADATA;
    }
    return null;
  }
}
