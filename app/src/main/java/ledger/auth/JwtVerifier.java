package ledger.auth;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import org.jose4j.http.Get;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.HttpsJwks;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.HttpsJwksVerificationKeyResolver;

/**
 * Bearer JWTs of an external identity provider, verified by jose4j against the provider's JWKS
 * (cached by jose4j, fetched again for an unknown key id): a signature by an asymmetric
 * algorithm only, the configured issuer and audience, {@code exp} required, bounded clock skew.
 * Scopes come from the scope claim (space-separated or a list), account prefixes from the
 * accounts claim (absent: every account, as a key without prefixes).
 */
public final class JwtVerifier {
  private static final Pattern PREFIX = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$");
  private static final int SCOPES_MAX = 64;
  private static final int SUBJECT_LENGTH_MAX = 128;

  private final JwtConsumer consumer;
  private final JwtSettings settings;
  private final Executor executor;

  /** {@code executor} runs verification: a JWKS fetch blocks, never on a request thread. */
  public JwtVerifier(JwtSettings settings, Executor executor) {
    this.settings = settings;
    this.executor = executor;
    HttpsJwks jwks = new HttpsJwks(settings.jwksUrl());
    Get get = new Get();
    get.setConnectTimeout((int) settings.fetchTimeout().toMillis());
    get.setReadTimeout((int) settings.fetchTimeout().toMillis());
    jwks.setSimpleHttpGet(get);
    this.consumer = new JwtConsumerBuilder()
        .setRequireExpirationTime()
        .setAllowedClockSkewInSeconds((int) settings.clockSkew().toSeconds())
        .setExpectedIssuer(settings.issuer())
        .setExpectedAudience(settings.audience())
        .setVerificationKeyResolver(new HttpsJwksVerificationKeyResolver(jwks))
        .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
            AlgorithmIdentifiers.RSA_USING_SHA256, AlgorithmIdentifiers.RSA_USING_SHA384,
            AlgorithmIdentifiers.RSA_USING_SHA512, AlgorithmIdentifiers.RSA_PSS_USING_SHA256,
            AlgorithmIdentifiers.RSA_PSS_USING_SHA384, AlgorithmIdentifiers.RSA_PSS_USING_SHA512,
            AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256,
            AlgorithmIdentifiers.ECDSA_USING_P384_CURVE_AND_SHA384,
            AlgorithmIdentifiers.ECDSA_USING_P521_CURVE_AND_SHA512)
        .build();
  }

  public CompletionStage<Authenticator.Outcome> verify(String token) {
    return CompletableFuture.supplyAsync(() -> outcome(token), executor);
  }

  private Authenticator.Outcome outcome(String token) {
    try {
      return caller(consumer.processToClaims(token))
          .<Authenticator.Outcome>map(Authenticator.Allowed::new)
          .orElse(new Authenticator.Denied(true));
    } catch (InvalidJwtException e) {
      // The provider's keys could not be fetched: not the token's fault, and never an allow.
      return causedByIo(e) ? new Authenticator.Unavailable() : new Authenticator.Denied(true);
    }
  }

  private Optional<Caller> caller(JwtClaims claims) {
    try {
      Set<Scope> scopes = scopes(claims.getClaimValue(settings.scopeClaim()));
      Optional<List<String>> prefixes = prefixes(claims.getClaimValue(settings.accountsClaim()));
      String subject = claims.getSubject() == null ? "" : claims.getSubject();
      if (scopes == null || prefixes.isEmpty() || subject.length() > SUBJECT_LENGTH_MAX) {
        return Optional.empty();
      }
      return Optional.of(new Caller("jwt:" + subject, scopes, prefixes.get()));
    } catch (MalformedClaimException e) {
      return Optional.empty();
    }
  }

  /** Known scopes of the claim (unknown ones grant nothing); null if the claim is malformed. */
  private static Set<Scope> scopes(Object claim) {
    List<String> names = new ArrayList<>();
    if (claim instanceof String s) {
      names.addAll(List.of(s.strip().split("\\s+")));
    } else if (claim instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
      list.forEach(o -> names.add((String) o));
    } else if (claim != null) {
      return null;
    }
    if (names.size() > SCOPES_MAX) {
      return null;
    }
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    names.forEach(n -> Scope.parse(n).ifPresent(scopes::add));
    return scopes;
  }

  /** The prefixes of the claim (absent: none, every account); empty if the claim is malformed. */
  private static Optional<List<String>> prefixes(Object claim) {
    if (claim == null) {
      return Optional.of(List.of());
    }
    if (!(claim instanceof List<?> list) || list.isEmpty() || list.size() > AuthSettings.PREFIXES_MAX
        || !list.stream().allMatch(o -> o instanceof String s && PREFIX.matcher(s).matches())) {
      return Optional.empty();
    }
    return Optional.of(list.stream().map(String.class::cast).toList());
  }

  private static boolean causedByIo(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof IOException) {
        return true;
      }
    }
    return false;
  }
}
