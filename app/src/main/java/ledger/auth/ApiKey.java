package ledger.auth;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An API key as a client holds it: {@code lk_<id>_<secret>}. The id (16 hex chars) is public and
 * the lookup key; the secret (256 random bits, base64url) is stored only as a keyed hash.
 */
public record ApiKey(String id, String secret) {
  public static final String PREFIX = "lk_";
  private static final Pattern TEXT = Pattern.compile("^lk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$");
  private static final Pattern ID = Pattern.compile("^[0-9a-f]{16}$");
  private static final SecureRandom RANDOM = new SecureRandom();

  public static ApiKey generate() {
    byte[] id = new byte[8];
    byte[] secret = new byte[32];
    RANDOM.nextBytes(id);
    RANDOM.nextBytes(secret);
    return new ApiKey(HexFormat.of().formatHex(id), Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
  }

  /** The key in {@code text}, if it has the exact form of one. */
  public static Optional<ApiKey> parse(String text) {
    var m = TEXT.matcher(text);
    return m.matches() ? Optional.of(new ApiKey(m.group(1), m.group(2))) : Optional.empty();
  }

  public static boolean isId(String text) {
    return ID.matcher(text).matches();
  }

  public String text() {
    return PREFIX + id + "_" + secret;
  }

  /** Never the secret: a key in a log line or an exception message is its id. */
  @Override
  public String toString() {
    return "ApiKey[" + id + "]";
  }
}
