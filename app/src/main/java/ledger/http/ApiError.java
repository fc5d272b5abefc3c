package ledger.http;

import ledger.core.ResultCode;

/** A refusal of a request, raised while reading it and answered with its code; no stack. */
public final class ApiError extends RuntimeException {
  private final ResultCode code;

  public ApiError(ResultCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public ResultCode code() {
    return code;
  }
}
