package ledger.core;

/**
 * Every refusal the ledger can answer. Input errors always come before state errors, so a
 * malformed request never reveals anything about stored state. Within the input errors the
 * first problem in reading order is reported: unknown top-level fields, then the fields in API
 * order (transfer: id; debit_account_id, credit_account_id, amount, currency and distinct
 * accounts per leg, legs in order, after the legs array's shape and size; then pending,
 * timeout_seconds, metadata). An account's refusals of a leg follow the order of the state
 * group below (closed, locked, currency, overflow, min, max), and a transfer reports the first
 * refusing account in leg order, debit first. Mapped to HTTP status in exactly one place
 * ({@code ledger.http.ErrorMapping}).
 */
public enum ResultCode {
  // Who is asking: before anything about the request, so that a caller without a key or a
  // scope learns nothing about its body or about stored state.
  UNAUTHENTICATED,
  FORBIDDEN,
  // The request itself.
  MALFORMED_JSON,
  BODY_TOO_LARGE,
  UNSUPPORTED_MEDIA_TYPE,
  UNKNOWN_FIELD,
  INVALID_ID,
  INVALID_CURRENCY,
  INVALID_AMOUNT,
  INVALID_LIMIT,
  INVALID_METADATA,
  INVALID_LEGS,
  INVALID_PENDING,
  INVALID_BATCH,
  TOO_MANY_LEGS,
  TOO_MANY_TRANSFERS,
  ACCOUNTS_MUST_BE_DIFFERENT,
  INVALID_TIMEOUT,
  TIMEOUT_REQUIRES_PENDING,
  // Query parameters (query side and operations), in the same spirit.
  UNKNOWN_PARAMETER,
  INVALID_PAGE_LIMIT,
  INVALID_VERSION,
  INVALID_TIME,
  INVALID_STATUS,
  INVALID_PARAMETER,
  // Lookups.
  ACCOUNT_NOT_FOUND,
  TRANSFER_NOT_FOUND,
  // Idempotency of create.
  EXISTS_WITH_DIFFERENT_CURRENCY,
  EXISTS_WITH_DIFFERENT_MIN_BALANCE,
  EXISTS_WITH_DIFFERENT_MAX_BALANCE,
  EXISTS_WITH_DIFFERENT_METADATA,
  EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID,
  EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID,
  EXISTS_WITH_DIFFERENT_AMOUNT,
  EXISTS_WITH_DIFFERENT_LEGS,
  EXISTS_WITH_DIFFERENT_PENDING,
  EXISTS_WITH_DIFFERENT_TIMEOUT_SECONDS,
  // Account state; the transfer refusals (422) come in the order an account checks them.
  ACCOUNT_CLOSED,
  ACCOUNT_LOCKED,
  CURRENCY_MISMATCH,
  OVERFLOW,
  EXCEEDS_MIN_BALANCE,
  EXCEEDS_MAX_BALANCE,
  /** The account holds ledger.account.pending-legs-max legs already; checked last. */
  TOO_MANY_PENDING,
  TRANSFER_TIMED_OUT,
  INVALID_STATUS_TRANSITION,
  ACCOUNT_NOT_EMPTY,
  ACCOUNT_HAS_PENDING,
  LIMIT_VIOLATED,
  // Later actions on a transfer.
  TRANSFER_NOT_PENDING,
  TRANSFER_EXPIRED,
  EXCEEDS_PENDING_AMOUNT,
  // Routing and infrastructure.
  BAD_REQUEST,
  NOT_FOUND,
  METHOD_NOT_ALLOWED,
  /** The query side has not reached the version the caller asked for (min_version). */
  DATA_NOT_READY,
  /** The node refused the work before starting it: nothing happened, send it again later. */
  OVERLOADED,
  UNAVAILABLE,
  INTERNAL_ERROR;

  private static final java.util.Set<ResultCode> EXISTS_WITH_DIFFERENT =
      java.util.EnumSet.range(EXISTS_WITH_DIFFERENT_CURRENCY, EXISTS_WITH_DIFFERENT_TIMEOUT_SECONDS);

  /** A create of an id that exists with other content (the idempotency group above). */
  public boolean existsWithDifferent() {
    return EXISTS_WITH_DIFFERENT.contains(this);
  }

  /** The wire form: {@code ACCOUNT_NOT_FOUND -> "account_not_found"}. */
  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
