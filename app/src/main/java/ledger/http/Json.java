package ledger.http;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.function.Function;

/** Writing JSON responses: one mapper, RFC 3339 UTC times with milliseconds, one way to answer. */
public final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Json() {}

  public static String time(Instant instant) {
    return instant == null ? null : TIME.format(instant);
  }

  static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
  }

  /** Every JSON answer of the API, errors included. */
  static HttpResponse response(StatusCode status, JsonNode body) {
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, bytes(body));
  }

  static HttpResponse ok(JsonNode body) {
    return response(StatusCodes.OK, body);
  }

  /** A page of a listing: {@code {"<field>": [items...], "next": <cursor or null>}}. */
  static <T> ObjectNode page(String field, Iterable<T> items, Function<T, JsonNode> item, JsonNode next) {
    ObjectNode root = MAPPER.createObjectNode();
    ArrayNode array = root.putArray(field);
    items.forEach(i -> array.add(item.apply(i)));
    root.set("next", next);
    return root;
  }

  /** A page cursor: a number, or null on the last page. */
  static JsonNode cursor(Long next) {
    return MAPPER.getNodeFactory().numberNode(next);
  }

  /** A page cursor: a text, or null on the last page. */
  static JsonNode cursor(String next) {
    return next == null ? MAPPER.getNodeFactory().nullNode() : MAPPER.getNodeFactory().textNode(next);
  }
}
