package ledger.http;

import java.util.Set;

/** Route templates for metric labels: ids never become label values. */
final class RequestMetrics {
  private static final Set<String> ACCOUNT_ACTIONS = Set.of("lock", "unlock", "close", "entries", "balance",
      "transfers");
  private static final Set<String> TRANSFER_ACTIONS = Set.of("post", "void");

  private RequestMetrics() {}

  static String route(String path) {
    String[] s = path.replaceAll("^/+|/+$", "").split("/");
    if (s.length == 0 || s[0].isEmpty()) {
      return "/";
    }
    switch (s[0]) {
      case "accounts":
        if (s.length == 1) {
          return "/accounts";
        }
        if (s.length == 2) {
          return "/accounts/{id}";
        }
        return s.length == 3 && ACCOUNT_ACTIONS.contains(s[2]) ? "/accounts/{id}/" + s[2] : "other";
      case "transfers":
        if (s.length == 1) {
          return "/transfers";
        }
        if (s.length == 2) {
          return s[1].equals("batch") ? "/transfers/batch" : "/transfers/{id}";
        }
        return s.length == 3 && TRANSFER_ACTIONS.contains(s[2]) ? "/transfers/{id}/" + s[2] : "other";
      case "recon":
        return s.length == 1 ? "/recon" : s.length == 2 && s[1].equals("run") ? "/recon/run" : "other";
      case "metrics":
        return s.length == 1 ? "/metrics" : "other";
      default:
        return "other";
    }
  }
}
