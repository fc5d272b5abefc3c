package ledger.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import ledger.core.Ids;
import ledger.core.Limits;
import ledger.core.ResultCode;
import ledger.money.Money;

/**
 * Reads a JSON request body field by field. Binding straight to classes would accept
 * {@code 1.0} or {@code "5"} as a number; reading the tree lets every field get its own
 * docs/api.md error code. Every method throws {@link ApiError}.
 */
public final class JsonRequest {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final ObjectNode body;
  private final Limits limits;

  private JsonRequest(ObjectNode body, Limits limits) {
    this.body = body;
    this.limits = limits;
  }

  /**
   * Parses a body: strict JSON (no duplicate keys, nothing after the value), after a streaming
   * scan (linear in its length) has checked its nesting depth and the length of every number
   * and string against the limits.
   */
  public static JsonNode readTree(String text, Limits limits) {
    try {
      scan(text, limits);
      JsonNode node = MAPPER.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new ApiError(ResultCode.MALFORMED_JSON, "a JSON request body is required");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new ApiError(ResultCode.MALFORMED_JSON, "request body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ApiError(ResultCode.MALFORMED_JSON, "request body is not valid JSON");
    }
  }

  private static void scan(String text, Limits limits) throws IOException {
    try (JsonParser p = MAPPER.getFactory().createParser(text)) {
      int depth = 0;
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        switch (t) {
          case START_OBJECT, START_ARRAY -> {
            if (++depth > limits.jsonDepthMax()) {
              throw new ApiError(ResultCode.MALFORMED_JSON, "JSON nested deeper than " + limits.jsonDepthMax());
            }
          }
          case END_OBJECT, END_ARRAY -> depth--;
          case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
            if (p.getTextLength() > limits.jsonNumberLengthMax()) {
              throw new ApiError(ResultCode.MALFORMED_JSON, "a JSON number longer than "
                  + limits.jsonNumberLengthMax() + " characters");
            }
          }
          case VALUE_STRING, FIELD_NAME -> {
            if (p.getTextLength() > limits.jsonStringLengthMax()) {
              throw new ApiError(ResultCode.MALFORMED_JSON, "a JSON string longer than "
                  + limits.jsonStringLengthMax() + " characters");
            }
          }
          default -> { }
        }
      }
    }
  }

  /** Wraps a parsed JSON object (a whole body, or one element of it). */
  public static JsonRequest of(JsonNode node, Set<String> allowed, Limits limits) {
    if (node == null || !node.isObject()) {
      throw new ApiError(ResultCode.MALFORMED_JSON, "expected a JSON object");
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw new ApiError(ResultCode.UNKNOWN_FIELD, "unknown field: " + name);
      }
    }
    return new JsonRequest((ObjectNode) node, limits);
  }

  public boolean has(String field) {
    return body.has(field);
  }

  /** The raw value of a field (null when absent), for structures the caller walks itself. */
  public JsonNode node(String field) {
    return body.get(field);
  }

  public Limits limits() {
    return limits;
  }

  /** An amount of minor units: a JSON integer, 1 <= amount <= 2^63-1. */
  public long amount(String field) {
    JsonNode n = body.get(field);
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 1) {
      throw new ApiError(ResultCode.INVALID_AMOUNT,
          field + " must be an integer of minor units from 1 to 9223372036854775807");
    }
    return n.longValue();
  }

  public boolean bool(String field, boolean absentValue, ResultCode code) {
    JsonNode n = body.get(field);
    if (n == null) {
      return absentValue;
    }
    if (!n.isBoolean()) {
      throw new ApiError(code, field + " must be true or false");
    }
    return n.booleanValue();
  }

  public String id(String field) {
    JsonNode n = body.get(field);
    if (n == null || !n.isTextual() || !Ids.isValid(n.textValue())) {
      throw new ApiError(ResultCode.INVALID_ID,
          field + " must be a string matching ^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$");
    }
    return n.textValue();
  }

  public String currency(String field) {
    JsonNode n = body.get(field);
    if (n == null || !n.isTextual() || !Money.isCurrency(n.textValue())) {
      throw new ApiError(ResultCode.INVALID_CURRENCY, field + " must be a string matching ^[A-Z][A-Z0-9_]{1,15}$");
    }
    return n.textValue();
  }

  /** A balance limit: an integer of minor units (may be negative) or null for unbounded. */
  public Long limit(String field, Long absentValue) {
    JsonNode n = body.get(field);
    if (n == null) {
      return absentValue;
    }
    if (n.isNull()) {
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new ApiError(ResultCode.INVALID_LIMIT, field + " must be an integer (minor units) or null");
    }
    return n.longValue();
  }

  /**
   * No lone UTF-16 surrogate: JSON's \\u escapes can spell one, Java strings hold it, but it is not
   * text, and the journal's CBOR encoding refuses it after the request was accepted.
   */
  static boolean validUnicode(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /** Metadata: an object of string to string within the configured limits; absent = empty. */
  public Map<String, String> metadata(String field) {
    JsonNode n = body.get(field);
    if (n == null) {
      return Map.of();
    }
    if (!n.isObject()) {
      throw new ApiError(ResultCode.INVALID_METADATA, field + " must be an object of strings");
    }
    if (n.size() > limits.metadataKeysMax()) {
      throw new ApiError(ResultCode.INVALID_METADATA, field + " has more than " + limits.metadataKeysMax() + " keys");
    }
    Map<String, String> result = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().isEmpty() || e.getKey().length() > limits.metadataKeyLengthMax()) {
        throw new ApiError(ResultCode.INVALID_METADATA,
            field + " keys must have 1 to " + limits.metadataKeyLengthMax() + " characters");
      }
      if (!e.getValue().isTextual() || e.getValue().textValue().length() > limits.metadataValueLengthMax()) {
        throw new ApiError(ResultCode.INVALID_METADATA,
            field + " values must be strings of at most " + limits.metadataValueLengthMax() + " characters");
      }
      if (!validUnicode(e.getKey()) || !validUnicode(e.getValue().textValue())) {
        throw new ApiError(ResultCode.INVALID_METADATA, field + " keys and values must be valid Unicode "
            + "(a \\u escape of half a surrogate pair is not)");
      }
      result.put(e.getKey(), e.getValue().textValue());
    }
    return Map.copyOf(result);
  }
}
