package ledger.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import ledger.account.Account;

/** The docs/api.md "Account" object. Field names and order are part of the contract. */
public final class AccountJson {
  private AccountJson() {}

  public static ObjectNode of(Account a) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", a.id());
    o.put("currency", a.currency());
    o.put("status", a.status().wire());
    o.put("min_balance", a.minBalance());
    o.put("max_balance", a.maxBalance());
    ObjectNode meta = o.putObject("metadata");
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(a.metadata()).entrySet()) {
      meta.put(e.getKey(), e.getValue());
    }
    o.put("debits_posted", a.debitsPosted());
    o.put("credits_posted", a.creditsPosted());
    o.put("debits_pending", a.debitsPending());
    o.put("credits_pending", a.creditsPending());
    o.put("balance", a.balance());
    o.put("available", a.available());
    o.put("version", a.version());
    o.put("created_at", Json.time(a.createdAt()));
    o.put("updated_at", Json.time(a.updatedAt()));
    return o;
  }
}
