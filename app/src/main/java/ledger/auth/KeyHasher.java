package ledger.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 of a key's secret under the node's hash key: what the key table stores, so that a
 * copy of the table alone does not let anyone call the API.
 */
public final class KeyHasher {
  public static final int HASH_KEY_BYTES_MIN = 32;
  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;
  // Mac instances are not thread-safe; one per thread avoids a lookup per request.
  private final ThreadLocal<Mac> macs;

  public KeyHasher(byte[] hashKey) {
    if (hashKey.length < HASH_KEY_BYTES_MIN) {
      throw new IllegalArgumentException("the auth hash key must be at least " + HASH_KEY_BYTES_MIN + " bytes");
    }
    this.key = new SecretKeySpec(hashKey.clone(), ALGORITHM);
    this.macs = ThreadLocal.withInitial(this::newMac);
  }

  /** The hash key from its base64 text (standard or URL alphabet); a clear message if it is unusable. */
  public static KeyHasher fromBase64(String text) {
    byte[] bytes;
    try {
      bytes = Base64.getMimeDecoder().decode(text.strip().replace('-', '+').replace('_', '/'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("ledger.auth.hash-key (LEDGER_AUTH_HASH_KEY) is not base64");
    }
    if (bytes.length < HASH_KEY_BYTES_MIN) {
      throw new IllegalArgumentException("ledger.auth.hash-key (LEDGER_AUTH_HASH_KEY) must decode to at least "
          + HASH_KEY_BYTES_MIN + " bytes, got " + bytes.length);
    }
    return new KeyHasher(bytes);
  }

  public byte[] hash(String secret) {
    Mac mac = macs.get();
    return mac.doFinal(secret.getBytes(StandardCharsets.US_ASCII));
  }

  /** Constant time in the secret: no timing tells how much of a guess was right. */
  public boolean matches(String secret, byte[] stored) {
    return stored != null && MessageDigest.isEqual(hash(secret), stored);
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
