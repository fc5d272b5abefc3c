package ledger.auth;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/** A stored key: its hash, never its secret. {@code expiresAt} and {@code revokedAt} may be null. */
public record KeyRecord(String id, byte[] hash, String name, Set<Scope> scopes, List<String> prefixes,
                        Instant createdAt, Instant expiresAt, Instant revokedAt) {
  public KeyRecord {
    scopes = Set.copyOf(scopes);
    prefixes = List.copyOf(prefixes);
    hash = hash == null ? null : hash.clone();
  }

  /** Usable now: neither revoked nor expired. */
  public boolean activeAt(Instant now) {
    return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
  }

  public Caller caller() {
    return new Caller(id, scopes, prefixes);
  }

  public KeyRecord revoked(Instant at) {
    return new KeyRecord(id, hash, name, scopes, prefixes, createdAt, expiresAt, at);
  }
}
