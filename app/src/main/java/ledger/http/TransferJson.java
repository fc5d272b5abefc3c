package ledger.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import ledger.transfer.Leg;
import ledger.transfer.Transfer;

/** The docs/api.md "Transfer" object. */
final class TransferJson {
  private TransferJson() {}

  static ObjectNode of(Transfer t) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", t.id());
    ArrayNode legs = o.putArray("legs");
    if (t.request() != null) {
      for (Leg leg : t.request().legs()) {
        ObjectNode l = legs.addObject();
        l.put("debit_account_id", leg.debitAccountId());
        l.put("credit_account_id", leg.creditAccountId());
        l.put("amount", leg.amount());
        l.put("currency", leg.currency());
      }
    }
    o.put("status", status(t));
    if (t.rejection() == null) {
      o.putNull("rejection");
    } else {
      ObjectNode r = o.putObject("rejection");
      r.put("code", t.rejection().code().wire());
      r.put("account_id", t.rejection().accountId());
    }
    o.put("pending", t.request() != null && t.request().pending());
    o.put("timeout_seconds", t.request() == null ? null : t.request().timeoutSeconds());
    o.put("expires_at", Json.time(t.expiresAt()));
    o.put("posted_amount", t.postedAmount());
    ObjectNode meta = o.putObject("metadata");
    if (t.request() != null) {
      for (Map.Entry<String, String> e : new TreeMap<>(t.request().metadata()).entrySet()) {
        meta.put(e.getKey(), e.getValue());
      }
    }
    o.put("created_at", Json.time(t.createdAt()));
    o.put("decided_at", Json.time(t.decidedAt()));
    return o;
  }

  /** The wire form of a transfer's status. */
  static String status(Transfer t) {
    return t.status().wire();
  }
}
