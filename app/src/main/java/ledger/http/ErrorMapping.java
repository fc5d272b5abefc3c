package ledger.http;

import akka.http.javadsl.model.AttributeKey;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RetryAfter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.Consumer;
import ledger.core.ResultCode;

/** The one place where a {@link ResultCode} becomes an HTTP status and an error body. */
public final class ErrorMapping {
  /** The code an error response carries, for the audit line (an attribute: never sent). */
  static final AttributeKey<ResultCode> CODE = AttributeKey.create("ledger-result-code", ResultCode.class);

  private ErrorMapping() {}

  public static StatusCode status(ResultCode code) {
    return switch (code) {
      case MALFORMED_JSON, UNKNOWN_FIELD, INVALID_ID, INVALID_CURRENCY, INVALID_AMOUNT, INVALID_LIMIT,
          INVALID_METADATA, INVALID_LEGS, INVALID_PENDING, INVALID_BATCH, TOO_MANY_LEGS, TOO_MANY_TRANSFERS,
          ACCOUNTS_MUST_BE_DIFFERENT, INVALID_TIMEOUT, TIMEOUT_REQUIRES_PENDING, EXCEEDS_PENDING_AMOUNT,
          UNKNOWN_PARAMETER, INVALID_PAGE_LIMIT, INVALID_VERSION, INVALID_TIME, INVALID_STATUS, INVALID_PARAMETER,
          BAD_REQUEST -> StatusCodes.BAD_REQUEST;
      case UNAUTHENTICATED -> StatusCodes.UNAUTHORIZED;
      case FORBIDDEN -> StatusCodes.FORBIDDEN;
      case BODY_TOO_LARGE -> StatusCodes.PAYLOAD_TOO_LARGE;
      case UNSUPPORTED_MEDIA_TYPE -> StatusCodes.UNSUPPORTED_MEDIA_TYPE;
      case ACCOUNT_NOT_FOUND, TRANSFER_NOT_FOUND, NOT_FOUND -> StatusCodes.NOT_FOUND;
      case EXISTS_WITH_DIFFERENT_CURRENCY, EXISTS_WITH_DIFFERENT_MIN_BALANCE, EXISTS_WITH_DIFFERENT_MAX_BALANCE,
          EXISTS_WITH_DIFFERENT_METADATA, EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID,
          EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID, EXISTS_WITH_DIFFERENT_AMOUNT, EXISTS_WITH_DIFFERENT_LEGS,
          EXISTS_WITH_DIFFERENT_PENDING, EXISTS_WITH_DIFFERENT_TIMEOUT_SECONDS, ACCOUNT_CLOSED,
          INVALID_STATUS_TRANSITION, ACCOUNT_HAS_PENDING, ACCOUNT_NOT_EMPTY, LIMIT_VIOLATED, TRANSFER_NOT_PENDING,
          TRANSFER_EXPIRED -> StatusCodes.CONFLICT;
      // Business refusals of a transfer; a rejected transfer is answered 422 with its record.
      case ACCOUNT_LOCKED, CURRENCY_MISMATCH, OVERFLOW, EXCEEDS_MIN_BALANCE, EXCEEDS_MAX_BALANCE,
          TOO_MANY_PENDING, TRANSFER_TIMED_OUT -> StatusCodes.UNPROCESSABLE_ENTITY;
      case METHOD_NOT_ALLOWED -> StatusCodes.METHOD_NOT_ALLOWED;
      case UNAVAILABLE, DATA_NOT_READY, OVERLOADED -> StatusCodes.SERVICE_UNAVAILABLE;
      case INTERNAL_ERROR -> StatusCodes.INTERNAL_SERVER_ERROR;
    };
  }

  public static ObjectNode errorBody(ResultCode code, String message) {
    ObjectNode error = Json.MAPPER.createObjectNode();
    error.put("code", code.wire());
    error.put("message", message);
    return error;
  }

  public static HttpResponse response(ResultCode code, String message) {
    return response(code, message, error -> { });
  }

  /** An error response whose error object carries fields after code and message ({@code extra}). */
  public static HttpResponse response(ResultCode code, String message, Consumer<ObjectNode> extra) {
    ObjectNode error = errorBody(code, message);
    extra.accept(error);
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.set("error", error);
    HttpResponse response = Json.response(status(code), root).addAttribute(CODE, code);
    // "Outcome unknown, retry with the same id"; "not yet, ask again"; "nothing started, send it again".
    return code == ResultCode.UNAVAILABLE || code == ResultCode.DATA_NOT_READY || code == ResultCode.OVERLOADED
        ? response.addHeader(RetryAfter.create(1L)) : response;
  }

  public static HttpResponse response(ApiError error) {
    return response(error.code(), error.getMessage());
  }
}
