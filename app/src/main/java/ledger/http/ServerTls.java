package ledger.http;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * HTTPS of the API port ({@code ledger.http.tls}): the server's key and certificate chain from a
 * PKCS12 keystore, only the configured protocols and cipher suites. Everything is checked when
 * the settings are read, so a node with a missing keystore or a wrong password does not start.
 */
public final class ServerTls {
  private final SSLContext context;
  private final String[] protocols;
  private final String[] cipherSuites;

  private ServerTls(SSLContext context, String[] protocols, String[] cipherSuites) {
    this.context = context;
    this.protocols = protocols;
    this.cipherSuites = cipherSuites;
  }

  /** From {@code ledger.http.tls}; null when it is off. */
  public static ServerTls fromConfig(Config tls) {
    if (!tls.getBoolean("enabled")) {
      return null;
    }
    String path = tls.getString("keystore-path");
    if (path.isEmpty()) {
      throw new IllegalArgumentException("ledger.http.tls is enabled but ledger.http.tls.keystore-path "
          + "(LEDGER_HTTP_TLS_KEYSTORE) is not set");
    }
    SSLContext context = context(Path.of(path), tls.getString("keystore-password").toCharArray());
    SSLEngine probe = context.createSSLEngine();
    return new ServerTls(context,
        supported("protocols", tls.getStringList("protocols"), Set.of(probe.getSupportedProtocols())),
        supported("cipher-suites", tls.getStringList("cipher-suites"), Set.of(probe.getSupportedCipherSuites())));
  }

  /** A server engine with only the configured protocols and suites; no client certificates. */
  public SSLEngine newEngine() {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(false);
    engine.setEnabledProtocols(protocols.clone());
    engine.setEnabledCipherSuites(cipherSuites.clone());
    return engine;
  }

  private static SSLContext context(Path path, char[] password) {
    if (!Files.isReadable(path)) {
      throw new IllegalArgumentException("ledger.http.tls.keystore-path: no readable file " + path);
    }
    try (InputStream in = Files.newInputStream(path)) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(in, password);
      if (Collections.list(keys.aliases()).stream().noneMatch(alias -> isKey(keys, alias))) {
        throw new IllegalArgumentException("ledger.http.tls: keystore " + path + " holds no private key");
      }
      KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(keys, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(factory.getKeyManagers(), null, null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      // A wrong password surfaces as an IOException whose cause is UnrecoverableKeyException.
      throw new IllegalArgumentException("ledger.http.tls: cannot open the PKCS12 keystore " + path
          + " (wrong password, LEDGER_HTTP_TLS_KEYSTORE_PASSWORD, or not PKCS12): " + e.getMessage(), e);
    }
  }

  private static boolean isKey(KeyStore keys, String alias) {
    try {
      return keys.isKeyEntry(alias);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** The configured values this JDK supports, in their order; none is a configuration error. */
  private static String[] supported(String key, List<String> wanted, Set<String> supported) {
    String[] kept = wanted.stream().filter(supported::contains).toArray(String[]::new);
    if (kept.length == 0) {
      throw new IllegalArgumentException("ledger.http.tls." + key + ": none of " + wanted + " is supported by this JDK");
    }
    return kept;
  }
}
