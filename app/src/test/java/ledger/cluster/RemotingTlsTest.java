package ledger.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import ledger.testing.TestNodes;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Artery as the pods run it (LEDGER_REMOTING_TRANSPORT=tls-tcp, application.conf's
 * RotatingKeysSSLEngineProvider settings) with PEM files laid out as cert-manager writes them
 * (tls.key in PKCS#8, tls.crt, ca.crt), made by keytool for this run: two nodes whose
 * certificates come from the same CA form a cluster; a node with a certificate of another CA,
 * same subject name, is never let in.
 */
public class RemotingTlsTest {
  private static final String SUBJECT = "CN=ledger-remoting";
  private static Path dir;
  private static final List<ActorSystem<Void>> systems = new ArrayList<>();

  @BeforeClass
  public static void certificates() throws Exception {
    dir = Files.createDirectories(Path.of(System.getProperty("ledger.test.data-dir", "target/test-data"))
        .resolve("remoting-tls-" + ProcessHandle.current().pid())).toAbsolutePath();
    issue(dir.resolve("ours"));
    issue(dir.resolve("theirs"));
  }

  @AfterClass
  public static void stop() throws IOException {
    systems.forEach(ActorSystem::terminate);
    for (ActorSystem<Void> s : systems) {
      try {
        s.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        // reported by the test that used it
      }
    }
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  public void nodesOfOneCaFormAClusterAndAnotherCaIsKeptOut() throws Exception {
    ActorSystem<Void> first = node(dir.resolve("ours"));
    ActorSystem<Void> second = node(dir.resolve("ours"));
    assertEquals("tls-tcp", first.settings().config().getString("akka.remote.artery.transport"));
    Cluster.get(first).manager().tell(Join.create(Cluster.get(first).selfMember().address()));
    Cluster.get(second).manager().tell(Join.create(Cluster.get(first).selfMember().address()));
    assertTrue("two nodes of one CA are Up together", within(Duration.ofSeconds(30),
        () -> upMembers(first) == 2 && upMembers(second) == 2));

    ActorSystem<Void> stranger = node(dir.resolve("theirs"));
    Cluster.get(stranger).manager().tell(Join.create(Cluster.get(first).selfMember().address()));
    assertFalse("a node of another CA joins", within(Duration.ofSeconds(6),
        () -> upMembers(first) > 2 || Cluster.get(stranger).selfMember().status() == MemberStatus.up()));
  }

  private static ActorSystem<Void> node(Path tlsDir) {
    Config config = TestNodes.singleNode(Map.of(
        "akka.cluster.jmx.multi-mbeans-in-same-jvm", "on",
        "akka.remote.artery.transport", "tls-tcp",
        "akka.remote.artery.ssl.rotating-keys-engine.secret-mount-point", tlsDir.toString()));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "ledger", config);
    systems.add(system);
    return system;
  }

  private static long upMembers(ActorSystem<Void> system) {
    return java.util.stream.StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).count();
  }

  private static boolean within(Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(200);
    }
    return condition.getAsBoolean();
  }

  /** A root CA and one node certificate (server and client) it issued, as PEM files in {@code out}. */
  private static void issue(Path out) throws Exception {
    Files.createDirectories(out);
    String pass = "test-only-" + ProcessHandle.current().pid();
    Path ca = out.resolve("ca.p12");
    Path node = out.resolve("node.p12");
    keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=ledger-test-ca",
        "-ext", "bc:c", "-validity", "2", "-storetype", "PKCS12", "-keystore", ca.toString(), "-storepass", pass);
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", pass,
        "-file", out.resolve("ca.crt").toString());
    keytool("-genkeypair", "-alias", "node", "-keyalg", "RSA", "-keysize", "2048", "-dname", SUBJECT,
        "-validity", "2", "-storetype", "PKCS12", "-keystore", node.toString(), "-storepass", pass);
    keytool("-certreq", "-alias", "node", "-keystore", node.toString(), "-storepass", pass,
        "-file", out.resolve("node.csr").toString());
    keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", pass,
        "-infile", out.resolve("node.csr").toString(), "-outfile", out.resolve("tls.crt").toString(),
        "-ext", "SAN=dns:ledger-remoting", "-ext", "EKU=serverAuth,clientAuth", "-validity", "2");
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(node)) {
      keys.load(in, pass.toCharArray());
    }
    PrivateKey key = (PrivateKey) keys.getKey("node", pass.toCharArray());
    assertEquals("PKCS#8", key.getFormat());
    Files.writeString(out.resolve("tls.key"), "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n");
  }

  private static void keytool(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue("keytool finishes", p.waitFor(60, TimeUnit.SECONDS));
    assertEquals("keytool " + String.join(" ", args) + ": " + output, 0, p.exitValue());
  }
}
