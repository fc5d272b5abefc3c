package ledger.auth;

import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Turns an Authorization header into a {@link Caller}, or says why not in as few words as the
 * client may know: no credentials, invalid credentials (unknown, wrong secret, expired and
 * revoked all look the same), or the key table cannot be read now.
 */
public final class Authenticator {
  public sealed interface Outcome {}

  public record Allowed(Caller caller) implements Outcome {}

  /** {@code tokenPresent}: a bearer token was sent but is not valid (error="invalid_token"). */
  public record Denied(boolean tokenPresent) implements Outcome {}

  public record Unavailable() implements Outcome {}

  private static final String BEARER = "bearer ";
  private static final CompletableFuture<Outcome> NO_TOKEN = CompletableFuture.completedFuture(new Denied(false));
  private static final CompletableFuture<Outcome> INVALID = CompletableFuture.completedFuture(new Denied(true));

  private final KeyHasher hasher;
  private final KeyCache cache;
  private final Clock clock;
  private final JwtVerifier jwt;

  public Authenticator(KeyHasher hasher, KeyStore store, AuthSettings settings, Clock clock) {
    this(hasher, store, settings, clock, null);
  }

  /** {@code jwt} null: bearer JWTs are not accepted, only API keys. */
  public Authenticator(KeyHasher hasher, KeyStore store, AuthSettings settings, Clock clock, JwtVerifier jwt) {
    this.hasher = hasher;
    this.cache = new KeyCache(store, settings, System::nanoTime);
    this.clock = clock;
    this.jwt = jwt;
  }

  public CompletionStage<Outcome> authenticate(Optional<String> authorization) {
    if (authorization.isEmpty()) {
      return NO_TOKEN;
    }
    String header = authorization.get();
    if (header.length() > AuthSettings.HEADER_LENGTH_MAX) {
      return INVALID;
    }
    if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length() - 1)) {
      return NO_TOKEN; // another scheme (Basic ...) is no bearer token at all
    }
    if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return INVALID; // "Bearer" without a token
    }
    String token = header.substring(BEARER.length()).strip();
    if (jwt != null && !token.startsWith(ApiKey.PREFIX)) {
      return jwt.verify(token);
    }
    Optional<ApiKey> key = ApiKey.parse(token);
    if (key.isEmpty()) {
      return INVALID;
    }
    return cache.get(key.get().id()).handle((found, failure) -> {
      if (failure != null) {
        return new Unavailable();
      }
      return found.filter(r -> hasher.matches(key.get().secret(), r.hash()) && r.activeAt(clock.instant()))
          .<Outcome>map(r -> new Allowed(r.caller()))
          .orElse(new Denied(true));
    });
  }
}
