package ledger.http;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RetryAfter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ledger.core.ResultCode;

/** The one place where a {@link ResultCode} becomes an HTTP status and an error body. */
public final class ErrorMapping {
  private ErrorMapping() {}

  public static StatusCode status(ResultCode code) {
    return switch (code) {
      case MALFORMED_JSON, UNKNOWN_FIELD, INVALID_ID, INVALID_CURRENCY, INVALID_AMOUNT, INVALID_LIMIT,
          INVALID_METADATA, BAD_REQUEST -> StatusCodes.BAD_REQUEST;
      case BODY_TOO_LARGE -> StatusCodes.PAYLOAD_TOO_LARGE;
      case UNSUPPORTED_MEDIA_TYPE -> StatusCodes.UNSUPPORTED_MEDIA_TYPE;
      case ACCOUNT_NOT_FOUND, NOT_FOUND -> StatusCodes.NOT_FOUND;
      case EXISTS_WITH_DIFFERENT_CURRENCY, EXISTS_WITH_DIFFERENT_MIN_BALANCE, EXISTS_WITH_DIFFERENT_MAX_BALANCE,
          EXISTS_WITH_DIFFERENT_METADATA, ACCOUNT_CLOSED, INVALID_STATUS_TRANSITION, ACCOUNT_HAS_PENDING,
          ACCOUNT_NOT_EMPTY, LIMIT_VIOLATED -> StatusCodes.CONFLICT;
      case METHOD_NOT_ALLOWED -> StatusCodes.METHOD_NOT_ALLOWED;
      case UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
      case INTERNAL_ERROR -> StatusCodes.INTERNAL_SERVER_ERROR;
    };
  }

  public static HttpResponse response(ResultCode code, String message) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    ObjectNode error = root.putObject("error");
    error.put("code", code.wire());
    error.put("message", message);
    HttpResponse response = HttpResponse.create()
        .withStatus(status(code))
        .withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(root));
    // "Outcome unknown, retry with the same id".
    return code == ResultCode.UNAVAILABLE ? response.addHeader(RetryAfter.create(1L)) : response;
  }

  public static HttpResponse response(ApiError error) {
    return response(error.code(), error.getMessage());
  }
}
