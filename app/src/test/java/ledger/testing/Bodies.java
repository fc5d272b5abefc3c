package ledger.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Request bodies of docs/api.md, as JSON text (tests also send them broken on purpose). */
public final class Bodies {
  private Bodies() {}

  /** An account create; {@code extra} is more fields as JSON text, starting with a comma. */
  public static String account(String id, String currency, String extra) {
    return "{\"id\":\"" + id + "\",\"currency\":\"" + currency + "\"" + extra + "}";
  }

  public static String leg(String debit, String credit, long amount, String currency) {
    return "{\"debit_account_id\":\"" + debit + "\",\"credit_account_id\":\"" + credit + "\",\"amount\":" + amount
        + ",\"currency\":\"" + currency + "\"}";
  }

  public static String leg(String debit, String credit, long amount) {
    return leg(debit, credit, amount, "USD");
  }

  /** A one-leg USD transfer; {@code extra} is more fields as JSON text, starting with a comma. */
  public static String oneLeg(String id, String debit, String credit, long amount, String extra) {
    String l = leg(debit, credit, amount);
    return "{\"id\":\"" + id + "\"," + l.substring(1, l.length() - 1) + extra + "}";
  }

  /** A one-leg USD two-phase transfer that expires after {@code timeoutSeconds}. */
  public static String pending(String id, String debit, String credit, long amount, long timeoutSeconds) {
    return oneLeg(id, debit, credit, amount, ",\"pending\":true,\"timeout_seconds\":" + timeoutSeconds);
  }

  public static String multi(String id, String extra, String... legs) {
    return "{\"id\":\"" + id + "\",\"legs\":[" + String.join(",", legs) + "]" + extra + "}";
  }

  /** A one-leg body given as raw JSON values by field (a null value leaves the field out). */
  public static String raw(Map<String, String> fields) {
    return fields.entrySet().stream().filter(e -> e.getValue() != null)
        .map(e -> "\"" + e.getKey() + "\":" + e.getValue())
        .collect(Collectors.joining(",", "{", "}"));
  }

  /** The fields of a valid one-leg transfer of 10 USD, as raw JSON values for {@link #raw}. */
  public static Map<String, String> fields(String id, String debit, String credit) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("id", "\"" + id + "\"");
    f.put("debit_account_id", "\"" + debit + "\"");
    f.put("credit_account_id", "\"" + credit + "\"");
    f.put("amount", "10");
    f.put("currency", "\"USD\"");
    return f;
  }
}
