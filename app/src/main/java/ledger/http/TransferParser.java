package ledger.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import ledger.core.Limits;
import ledger.core.ResultCode;
import ledger.transfer.Leg;
import ledger.transfer.TransferRequest;

/** Reads and validates one transfer of docs/api.md (one-leg or multi-leg form); throws {@link ApiError}. */
final class TransferParser {
  private static final Set<String> LEG_FIELDS = Set.of("debit_account_id", "credit_account_id", "amount", "currency");
  private static final Set<String> ONE_LEG_FIELDS = Set.of("id", "debit_account_id", "credit_account_id", "amount",
      "currency", "pending", "timeout_seconds", "metadata");
  private static final Set<String> MULTI_LEG_FIELDS = Set.of("id", "legs", "pending", "timeout_seconds", "metadata");

  /** A transfer id and its normalized request. */
  record Parsed(String id, TransferRequest request) {}

  private TransferParser() {}

  static Parsed parse(JsonNode node, Limits limits) {
    boolean multi = node != null && node.isObject() && node.has("legs");
    JsonRequest body = JsonRequest.of(node, multi ? MULTI_LEG_FIELDS : ONE_LEG_FIELDS, limits);
    String id = body.id("id");
    List<Leg> legs = multi ? legs(body.node("legs"), limits) : List.of(leg(body));
    boolean pending = body.bool("pending", false, ResultCode.INVALID_PENDING);
    Long timeout = timeout(body, pending);
    return new Parsed(id, new TransferRequest(legs, pending, timeout, body.metadata("metadata")));
  }

  /** The id of a transfer element, if it has a valid one (for batch results of invalid elements). */
  static String idOrNull(JsonNode node) {
    JsonNode id = node == null ? null : node.get("id");
    return id != null && id.isTextual() ? id.textValue() : null;
  }

  private static List<Leg> legs(JsonNode node, Limits limits) {
    if (node == null || !node.isArray() || node.isEmpty()) {
      throw new ApiError(ResultCode.INVALID_LEGS, "legs must be an array of 1 to " + limits.legsMax() + " legs");
    }
    if (node.size() > limits.legsMax()) {
      throw new ApiError(ResultCode.TOO_MANY_LEGS, "a transfer has at most " + limits.legsMax() + " legs");
    }
    List<Leg> legs = new ArrayList<>();
    for (JsonNode leg : node) {
      legs.add(leg(JsonRequest.of(leg, LEG_FIELDS, limits)));
    }
    return legs;
  }

  private static Leg leg(JsonRequest body) {
    String debit = body.id("debit_account_id");
    String credit = body.id("credit_account_id");
    long amount = body.amount("amount");
    String currency = body.currency("currency");
    if (debit.equals(credit)) {
      throw new ApiError(ResultCode.ACCOUNTS_MUST_BE_DIFFERENT, "debit and credit account must differ");
    }
    return new Leg(debit, credit, amount, currency);
  }

  private static Long timeout(JsonRequest body, boolean pending) {
    JsonNode n = body.node("timeout_seconds");
    Limits limits = body.limits();
    if (n == null || n.isNull()) {
      return pending ? limits.pendingTimeoutSecondsDefault() : null;
    }
    if (!pending) {
      throw new ApiError(ResultCode.TIMEOUT_REQUIRES_PENDING, "timeout_seconds needs \"pending\": true");
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 1
        || n.longValue() > limits.pendingTimeoutSecondsMax()) {
      throw new ApiError(ResultCode.INVALID_TIMEOUT,
          "timeout_seconds must be an integer from 1 to " + limits.pendingTimeoutSecondsMax());
    }
    return n.longValue();
  }
}
