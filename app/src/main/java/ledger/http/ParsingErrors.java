package ledger.http;

import akka.event.LoggingAdapter;
import akka.http.ParsingErrorHandler;
import akka.http.javadsl.model.HttpResponse;
import akka.http.scaladsl.model.ErrorInfo;
import akka.http.scaladsl.model.StatusCode;
import akka.http.scaladsl.settings.ServerSettings;
import ledger.core.ResultCode;

/**
 * The answer to a request too malformed to reach any route (a broken request line, URI, header
 * or length; an unknown method): a JSON error like every other, instead of akka-http's plain
 * text. Set as akka.http.server.parsing.error-handler. The summary names what was wrong, cut
 * short, and never echoes a body.
 */
public final class ParsingErrors extends ParsingErrorHandler {
  private static final int SUMMARY_MAX = 200;

  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo error, LoggingAdapter log, ServerSettings settings) {
    ResultCode code = switch (status.intValue()) {
      case 413 -> ResultCode.BODY_TOO_LARGE;
      case 501 -> ResultCode.METHOD_NOT_ALLOWED; // an HTTP method nobody has heard of
      default -> ResultCode.BAD_REQUEST;          // 400, 414 URI too long, 431 headers too large, 505
    };
    String summary = summary(error);
    log.debug("Malformed request answered {}: {}", code.wire(), summary);
    return ErrorMapping.response(code, "malformed request: " + summary);
  }

  /** What was wrong with a request, cut short: it may quote the request. */
  static String summary(ErrorInfo error) {
    String summary = error.summary();
    return summary.length() > SUMMARY_MAX ? summary.substring(0, SUMMARY_MAX) + "..." : summary;
  }
}
