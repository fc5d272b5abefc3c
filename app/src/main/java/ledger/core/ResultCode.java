package ledger.core;

/**
 * Every refusal the ledger can answer, in order of precedence: when a request is wrong in
 * several ways, the first applicable code in this order is the one reported. Input errors come
 * before state errors, so a malformed request never reveals anything about stored state.
 * Mapped to HTTP status in exactly one place ({@code ledger.http.ErrorMapping}).
 */
public enum ResultCode {
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
  // Lookups.
  ACCOUNT_NOT_FOUND,
  // Idempotency of create.
  EXISTS_WITH_DIFFERENT_CURRENCY,
  EXISTS_WITH_DIFFERENT_MIN_BALANCE,
  EXISTS_WITH_DIFFERENT_MAX_BALANCE,
  EXISTS_WITH_DIFFERENT_METADATA,
  // Account state.
  ACCOUNT_CLOSED,
  INVALID_STATUS_TRANSITION,
  ACCOUNT_HAS_PENDING,
  ACCOUNT_NOT_EMPTY,
  LIMIT_VIOLATED,
  // Routing and infrastructure.
  BAD_REQUEST,
  NOT_FOUND,
  METHOD_NOT_ALLOWED,
  UNAVAILABLE,
  INTERNAL_ERROR;

  /** The wire form: {@code ACCOUNT_NOT_FOUND -> "account_not_found"}. */
  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
