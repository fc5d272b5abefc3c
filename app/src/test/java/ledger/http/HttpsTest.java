package ledger.http;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import ledger.LedgerNode;
import ledger.testing.TestKeys;
import ledger.testing.TestNodes;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * HTTPS on the API port (ledger.http.tls) of an in-memory node, with a PKCS12 keystore made by
 * the JDK's keytool for this run only: a client trusting the certificate is served with the test
 * key over TLS 1.3 and 1.2; TLS 1.1 and plain HTTP are refused; a missing keystore or a wrong
 * password stops the node's start with a message naming the setting.
 */
public class HttpsTest {
  static {
    // The JDK itself refuses TLS 1.0/1.1 (jdk.tls.disabledAlgorithms): lifted for this JVM, so
    // that the refusal below is the node's settings and not the JDK's. Read once, when TLS
    // classes load: hence before anything else here (checked by jdkWouldSpeakTls11()).
    String disabled = Security.getProperty("jdk.tls.disabledAlgorithms");
    Security.setProperty("jdk.tls.disabledAlgorithms", Arrays.stream(disabled.split(","))
        .map(String::strip).filter(a -> !a.equals("TLSv1") && !a.equals("TLSv1.1"))
        .collect(Collectors.joining(", ")));
  }

  private static Path dir;
  private static Path keystore;
  private static String password;
  private static SSLContext trusting;
  private static LedgerNode node;
  private static int port;

  @BeforeClass
  public static void start() throws Exception {
    dir = Files.createDirectories(Path.of(System.getProperty("ledger.test.data-dir", "target/test-data"))
        .resolve("tls-" + ProcessHandle.current().pid())).toAbsolutePath();
    keystore = dir.resolve("api.p12");
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    password = HexFormat.of().formatHex(random);
    keytool(keystore, password);
    trusting = trustingContext(keystore, password);
    node = LedgerNode.start(tlsNode(keystore.toString(), password), Duration.ofSeconds(60));
    port = node.httpAddress().getPort();
  }

  @AfterClass
  public static void stop() throws IOException {
    if (node != null) {
      node.stop(Duration.ofSeconds(30));
    }
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  public void aClientTrustingTheCertificateIsServedWithItsKey() throws Exception {
    HttpResponse<String> created = send(client(null), "POST", "/accounts",
        "{\"id\":\"tls-1\",\"currency\":\"USD\"}", TestKeys.bearer());
    assertEquals(created.body(), 201, created.statusCode());
    HttpResponse<String> read = send(client(null), "GET", "/accounts/tls-1", null, TestKeys.bearer());
    assertEquals(200, read.statusCode());
    assertTrue(read.body().contains("\"tls-1\""));
    assertEquals("TLSv1.3", read.sslSession().orElseThrow().getProtocol());
    assertEquals("authentication still applies", 401,
        send(client(null), "GET", "/accounts/tls-1", null, null).statusCode());
  }

  @Test
  public void tls12IsAccepted() throws Exception {
    HttpResponse<String> read = send(client("TLSv1.2"), "GET", "/accounts/tls-none", null, TestKeys.bearer());
    assertEquals(404, read.statusCode());
    assertEquals("TLSv1.2", read.sslSession().orElseThrow().getProtocol());
  }

  @Test
  public void tls11IsRefused() throws Exception {
    // The suite's JVM allows TLS 1.1 from the start (app/pom.xml, tls11-allowed.security).
    assertTrue("this JVM's JDK refuses TLS 1.1 itself: the refusal below would prove nothing", jdkWouldSpeakTls11());
    try (SSLSocket socket = (SSLSocket) trusting.getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      socket.setEnabledProtocols(new String[] {"TLSv1.1"});
      assertThrows(SSLException.class, socket::startHandshake);
    }
  }

  @Test
  public void plainHttpIsNotServed() throws Exception {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /accounts/tls-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + TestKeys.bearer()
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String answer = new String(readAll(socket.getInputStream()), StandardCharsets.ISO_8859_1);
      assertFalse("plain HTTP answered: " + answer, answer.startsWith("HTTP/"));
    }
  }

  @Test
  public void engineOffersOnlyTls13And12WithAeadSuites() {
    SSLEngine engine = HttpSettings.fromConfig(tlsNode(keystore.toString(), password)).tls().newEngine();
    assertArrayEquals(new String[] {"TLSv1.3", "TLSv1.2"}, engine.getEnabledProtocols());
    assertFalse(engine.getNeedClientAuth());
    for (String suite : engine.getEnabledCipherSuites()) {
      assertTrue(suite, suite.contains("_GCM_") || suite.contains("CHACHA20"));
      assertTrue(suite, suite.startsWith("TLS_AES_") || suite.startsWith("TLS_CHACHA20_") || suite.startsWith("TLS_ECDHE_"));
    }
  }

  @Test
  public void badKeystoreSettingsStopTheStart() {
    String wrong = assertThrows(IllegalArgumentException.class,
        () -> LedgerNode.start(tlsNode(keystore.toString(), "not-" + password), Duration.ofSeconds(10))).getMessage();
    assertTrue(wrong, wrong.contains("cannot open the PKCS12 keystore " + keystore) && wrong.contains("wrong password"));
    String missing = assertThrows(IllegalArgumentException.class,
        () -> LedgerNode.start(tlsNode(dir.resolve("absent.p12").toString(), password), Duration.ofSeconds(10))).getMessage();
    assertTrue(missing, missing.contains("ledger.http.tls.keystore-path: no readable file " + dir.resolve("absent.p12")));
    String unset = assertThrows(IllegalArgumentException.class,
        () -> LedgerNode.start(tlsNode("", password), Duration.ofSeconds(10))).getMessage();
    assertTrue(unset, unset.contains("LEDGER_HTTP_TLS_KEYSTORE"));
  }

  private static Config tlsNode(String path, String password) {
    Map<String, Object> tls = new HashMap<>();
    tls.put("ledger.http.tls.enabled", true);
    tls.put("ledger.http.tls.keystore-path", path);
    tls.put("ledger.http.tls.keystore-password", password);
    return ConfigFactory.parseMap(tls).withFallback(TestNodes.inMemoryNode());
  }

  /** Whether this JVM (constraints lifted) speaks TLS 1.1 to a server that offers it. */
  private static boolean jdkWouldSpeakTls11() throws Exception {
    SSLContext server = SSLContext.getInstance("TLS");
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(load(keystore, password), password.toCharArray());
    server.init(keys.getKeyManagers(), null, null);
    try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0)) {
      listener.setEnabledProtocols(new String[] {"TLSv1.1"});
      Thread accept = new Thread(() -> {
        try (SSLSocket s = (SSLSocket) listener.accept()) {
          s.setSoTimeout(5000);
          s.startHandshake();
        } catch (IOException ignored) {
          // the client side reports the outcome
        }
      });
      accept.start();
      try (SSLSocket socket = (SSLSocket) trusting.getSocketFactory().createSocket("127.0.0.1", listener.getLocalPort())) {
        socket.setSoTimeout(5000);
        socket.setEnabledProtocols(new String[] {"TLSv1.1"});
        socket.startHandshake();
        return socket.getSession().getProtocol().equals("TLSv1.1");
      } catch (SSLException e) {
        return false;
      } finally {
        accept.join(5000);
      }
    }
  }

  private static HttpClient client(String onlyProtocol) {
    HttpClient.Builder b = HttpClient.newBuilder().sslContext(trusting).connectTimeout(Duration.ofSeconds(5));
    if (onlyProtocol != null) {
      SSLParameters parameters = new SSLParameters();
      parameters.setProtocols(new String[] {onlyProtocol});
      b.sslParameters(parameters);
    }
    return b.build();
  }

  private static HttpResponse<String> send(HttpClient client, String method, String path, String json,
                                           String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A PKCS12 keystore with one EC key and a self-signed certificate for 127.0.0.1. */
  private static void keytool(Path file, String password) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "ledger", "-keyalg", "EC",
        "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA", "-dname", "CN=localhost",
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", file.toString(), "-storepass", password, "-keypass", password)
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue("keytool finishes", p.waitFor(60, TimeUnit.SECONDS));
    assertEquals("keytool: " + output, 0, p.exitValue());
  }

  private static SSLContext trustingContext(Path file, String password) throws Exception {
    Certificate certificate = load(file, password).getCertificate("ledger");
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ledger", certificate);
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return context;
  }

  private static KeyStore load(Path file, String password) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      keys.load(in, password.toCharArray());
    }
    return keys;
  }

  private static byte[] readAll(InputStream in) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    try {
      for (int n; (n = in.read(buffer)) > 0; ) {
        out.write(buffer, 0, n);
      }
    } catch (SocketTimeoutException | java.net.SocketException stillOpenOrReset) {
      // what arrived is the answer
    }
    return out.toByteArray();
  }
}
