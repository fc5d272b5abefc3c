package ledger.transfer;

import java.time.Instant;
import ledger.core.CborSerializable;
import ledger.core.ResultCode;

/**
 * The permanent record of a decided transfer. {@code request} is null only for an id that
 * was presumed aborted before its coordinator learned the request (it crashed mid-prepare);
 * such an id stays rejected with transfer_timed_out like any other.
 *
 * @param postedAmount the amount of a partial post of a one-leg pending transfer, else null
 */
public record Transfer(String id, TransferRequest request, Status status, Rejection rejection, Long postedAmount,
                       Instant createdAt, Instant decidedAt, Instant expiresAt) implements TransferEntity.State {

  public enum Status {
    PENDING, POSTED, VOIDED, EXPIRED, REJECTED;

    /** The word for it in the API and the query tables. */
    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public record Rejection(ResultCode code, String accountId) implements CborSerializable {}

  public Transfer {
    if ((status == Status.REJECTED) != (rejection != null)) {
      throw new IllegalStateException("exactly the rejected transfers carry a rejection: " + id);
    }
    if (request == null && status != Status.REJECTED) {
      throw new IllegalStateException("only a rejected transfer may lack its request: " + id);
    }
  }

  Transfer with(Status next, Long posted, Instant at) {
    return new Transfer(id, request, next, rejection, posted, createdAt, at, expiresAt);
  }

  /** Whether the accounts end up posting (true) or releasing (false) their legs. */
  boolean posts() {
    return status == Status.POSTED;
  }
}
