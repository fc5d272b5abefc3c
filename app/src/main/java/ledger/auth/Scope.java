package ledger.auth;

import java.util.Arrays;
import java.util.Optional;

/** What a caller may do; each route of the API needs exactly one (ledger.http.ApiRoute). */
public enum Scope {
  ACCOUNTS_READ("accounts:read"),
  ACCOUNTS_WRITE("accounts:write"),
  ACCOUNTS_ADMIN("accounts:admin"),
  TRANSFERS_READ("transfers:read"),
  TRANSFERS_WRITE("transfers:write"),
  OPS_READ("ops:read"),
  OPS_ADMIN("ops:admin");

  private final String wire;

  Scope(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /** Operations scopes span every tenant (recon, metrics): never given to a key with prefixes. */
  public boolean isOps() {
    return this == OPS_READ || this == OPS_ADMIN;
  }

  public static Optional<Scope> parse(String text) {
    return Arrays.stream(values()).filter(s -> s.wire.equals(text)).findFirst();
  }
}
