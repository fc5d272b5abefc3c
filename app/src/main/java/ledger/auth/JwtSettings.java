package ledger.auth;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;

/** {@code ledger.auth.jwt}: bearer JWTs of an external identity provider, when a JWKS URL is set. */
public record JwtSettings(String jwksUrl, String issuer, String audience, Duration clockSkew, String scopeClaim,
                          String accountsClaim, Duration fetchTimeout) {
  /** Empty when no JWKS URL is configured (API keys only); a JWKS URL without issuer or audience is refused. */
  public static Optional<JwtSettings> fromConfig(Config root) {
    Config c = root.getConfig("ledger.auth.jwt");
    if (c.getString("jwks-url").isBlank()) {
      return Optional.empty();
    }
    JwtSettings s = new JwtSettings(c.getString("jwks-url"), c.getString("issuer"), c.getString("audience"),
        c.getDuration("clock-skew"), c.getString("scope-claim"), c.getString("accounts-claim"),
        c.getDuration("fetch-timeout"));
    if (s.issuer.isBlank() || s.audience.isBlank()) {
      // Without both, a token the provider issued for any other application would be accepted.
      throw new IllegalStateException("ledger.auth.jwt.jwks-url is set: ledger.auth.jwt.issuer "
          + "(LEDGER_AUTH_JWT_ISSUER) and audience (LEDGER_AUTH_JWT_AUDIENCE) are required too");
    }
    if (s.clockSkew.compareTo(Duration.ofMinutes(5)) > 0) {
      throw new IllegalStateException("ledger.auth.jwt.clock-skew is at most 5 minutes");
    }
    return Optional.of(s);
  }
}
