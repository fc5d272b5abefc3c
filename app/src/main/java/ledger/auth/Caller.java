package ledger.auth;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Who sent a request: the key id (public, for logs), its scopes and, for a tenant, the account
 * id prefixes it is limited to (empty: every account).
 */
public record Caller(String keyId, Set<Scope> scopes, List<String> prefixes) {
  /** Every scope, every account: the caller of a node with authentication disabled. */
  public static final Caller UNAUTHENTICATED_ALL = new Caller("auth-disabled", EnumSet.allOf(Scope.class), List.of());

  public Caller {
    scopes = Set.copyOf(scopes);
    prefixes = normalized(prefixes);
  }

  /** A tenant never holds an ops scope, even if its row says so: recon and metrics span every tenant. */
  public boolean has(Scope scope) {
    return scopes.contains(scope) && !(scope.isOps() && isTenant());
  }

  public boolean isTenant() {
    return !prefixes.isEmpty();
  }

  /** Whether this caller may name the account {@code accountId} at all. */
  public boolean owns(String accountId) {
    if (prefixes.isEmpty()) {
      return true;
    }
    for (String p : prefixes) {
      if (accountId.startsWith(p)) {
        return true;
      }
    }
    return false;
  }

  /** Sorted, without a prefix that another one already covers, so that their id ranges never overlap. */
  static List<String> normalized(List<String> prefixes) {
    List<String> sorted = prefixes.stream().distinct().sorted().toList();
    List<String> kept = new ArrayList<>();
    for (String p : sorted) {
      if (kept.isEmpty() || !p.startsWith(kept.get(kept.size() - 1))) {
        kept.add(p);
      }
    }
    return List.copyOf(kept);
  }
}
