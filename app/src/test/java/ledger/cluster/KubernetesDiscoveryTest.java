package ledger.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import akka.http.javadsl.ConnectionContext;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import ledger.LedgerNode;
import ledger.testing.TestNodes;
import org.junit.Assume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The production discovery path (Cluster Bootstrap with the real akka-discovery-kubernetes-api,
 * as application.conf configures it) forms a cluster of two nodes from the answer of a local
 * stand-in for the Kubernetes API's pods endpoint: HTTPS with a certificate the test makes, a
 * bearer token and a namespace read from files, as in a pod's service-account folder.
 *
 * <p>The discovery reads the API server's host and port only from environment variables (named
 * by api-service-host-env-name / api-service-port-env-name); app/pom.xml has surefire set the two
 * below, with a port reserved for this test. Run outside Maven, the test is skipped.
 */
public class KubernetesDiscoveryTest {
  private static final String HOST_VARIABLE = "LEDGER_TEST_KUBERNETES_API_HOST";
  private static final String PORT_VARIABLE = "LEDGER_TEST_KUBERNETES_API_PORT";
  private static final String NAMESPACE = "ledger-test";
  private static final String TOKEN = "stand-in-token";
  private static final char[] PASSWORD = "stand-in".toCharArray();
  private static final ObjectMapper JSON = new ObjectMapper();

  @Rule
  public TemporaryFolder folder = new TemporaryFolder();

  /** What the stand-in was asked: path, label selector, Authorization header. */
  private record Query(String path, String labelSelector, String authorization) {}

  @Test
  public void bootstrapFormsTheClusterFromThePodsTheKubernetesApiLists() throws Exception {
    String apiHost = System.getenv(HOST_VARIABLE);
    String apiPort = System.getenv(PORT_VARIABLE);
    Assume.assumeTrue("needs " + HOST_VARIABLE + " and " + PORT_VARIABLE + " (set by app/pom.xml)",
        apiHost != null && apiPort != null && apiPort.matches("\\d+"));
    Path secrets = folder.getRoot().toPath();
    Path keyStore = selfSignedCertificate(secrets, apiHost);
    Files.writeString(secrets.resolve("token"), TOKEN);
    Files.writeString(secrets.resolve("namespace"), NAMESPACE);

    List<Config> nodes = List.of(nodeConfig(secrets), nodeConfig(secrets));
    Queue<Query> queries = new ConcurrentLinkedQueue<>();
    ActorSystem<Void> api = ActorSystem.create(Behaviors.empty(), "kubernetes-api",
        ConfigFactory.parseString("akka.actor.provider = local").withFallback(ConfigFactory.load()));
    List<LedgerNode> started = new ArrayList<>();
    try {
      bindStandIn(api, apiHost, Integer.parseInt(apiPort), keyStore, podList(nodes), queries);
      for (Config node : nodes) {
        started.add(LedgerNode.start(node, Duration.ofSeconds(30)));
      }
      for (LedgerNode node : started) {
        awaitUpMembers(node, 2, Duration.ofSeconds(30));
      }
      assertFalse("the stand-in was asked", queries.isEmpty());
      for (Query query : queries) {
        assertEquals(new Query("/api/v1/namespaces/" + NAMESPACE + "/pods", "app=ledger", "Bearer " + TOKEN), query);
      }
    } finally {
      for (LedgerNode node : started) {
        node.stop(Duration.ofSeconds(30));
      }
      api.terminate();
      api.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * A node as application.conf configures it for Kubernetes (discovery-method kubernetes-api,
   * port-name, use-raw-ip, pod-label-selector), with the service-account files and the API
   * server's address of this test, and two replicas instead of three.
   */
  private static Config nodeConfig(Path secrets) {
    String discovery = "akka.discovery.kubernetes-api.";
    String bootstrap = "akka.management.cluster.bootstrap.contact-point-discovery.";
    Config node = ConfigFactory.parseMap(Map.ofEntries(
            Map.entry("ledger.cluster.join", "bootstrap"),
            // Both nodes run in this JVM.
            Map.entry("akka.cluster.jmx.multi-mbeans-in-same-jvm", "on"),
            Map.entry("akka.management.http.port", TestNodes.freePort()),
            Map.entry(bootstrap + "required-contact-point-nr", 2),
            Map.entry(bootstrap + "stable-margin", "1s"),
            Map.entry(bootstrap + "interval", "500ms"),
            Map.entry(discovery + "api-ca-path", secrets.resolve("ca.crt").toString()),
            Map.entry(discovery + "api-token-path", secrets.resolve("token").toString()),
            Map.entry(discovery + "pod-namespace-path", secrets.resolve("namespace").toString()),
            Map.entry(discovery + "api-service-host-env-name", HOST_VARIABLE),
            Map.entry(discovery + "api-service-port-env-name", PORT_VARIABLE)))
        .withFallback(TestNodes.inMemoryNode());
    Config loaded = ConfigFactory.load(node);
    assertEquals("kubernetes-api", loaded.getString(bootstrap + "discovery-method"));
    return loaded;
  }

  /** The Kubernetes answer: one Running pod per node, labelled and with named ports as in k8s/. */
  private static ObjectNode podList(List<Config> nodes) {
    ObjectNode list = JSON.createObjectNode().put("kind", "PodList").put("apiVersion", "v1");
    ArrayNode items = list.putArray("items");
    for (int i = 0; i < nodes.size(); i++) {
      Config node = nodes.get(i);
      ObjectNode pod = items.addObject();
      pod.putObject("metadata").put("name", "ledger-" + i).put("namespace", NAMESPACE)
          .putObject("labels").put("app", "ledger");
      ObjectNode container = pod.putObject("spec").putArray("containers").addObject().put("name", "ledger");
      ArrayNode ports = container.putArray("ports");
      ports.addObject().put("name", "management").put("containerPort", node.getInt("akka.management.http.port"));
      ports.addObject().put("name", "remoting").put("containerPort", node.getInt("akka.remote.artery.canonical.port"));
      ObjectNode status = pod.putObject("status").put("phase", "Running")
          .put("podIP", node.getString("akka.remote.artery.canonical.hostname"));
      status.putArray("containerStatuses").addObject().put("name", "ledger").putObject("state").putObject("running");
    }
    return list;
  }

  /**
   * GET /api/v1/namespaces/{namespace}/pods?labelSelector=k=v: the pods of that namespace whose
   * labels match, as the API server answers; 401 without the token. Every request is recorded.
   */
  private static void bindStandIn(ActorSystem<?> system, String host, int port, Path keyStore, ObjectNode pods,
      Queue<Query> queries) throws Exception {
    String podsPath = "/api/v1/namespaces/" + NAMESPACE + "/pods";
    akka.japi.function.Function<HttpRequest, HttpResponse> handler = request -> {
      String selector = request.getUri().query().get("labelSelector").orElse("");
      String authorization = request.getHeader("Authorization").map(h -> h.value()).orElse("");
      queries.add(new Query(request.getUri().path(), selector, authorization));
      if (!authorization.equals("Bearer " + TOKEN)) {
        return HttpResponse.create().withStatus(StatusCodes.UNAUTHORIZED);
      }
      if (!request.getUri().path().equals(podsPath)) {
        return HttpResponse.create().withStatus(StatusCodes.NOT_FOUND);
      }
      return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, JSON.writeValueAsBytes(select(pods, selector)));
    };
    ServerBinding binding = Http.get(system).newServerAt(host, port)
        .enableHttps(ConnectionContext.httpsServer(serverTls(keyStore)))
        .bindSync(handler)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(port, binding.localAddress().getPort());
  }

  private static ObjectNode select(ObjectNode pods, String selector) {
    ObjectNode selected = pods.deepCopy();
    selected.withArray("items").removeAll();
    for (var pod : pods.withArray("items")) {
      boolean matches = !selector.isEmpty();
      for (String term : selector.split(",")) {
        String[] kv = term.split("=", 2);
        matches &= kv.length == 2 && kv[1].equals(pod.at("/metadata/labels").path(kv[0]).asText(null));
      }
      if (matches) {
        selected.withArray("items").add(pod);
      }
    }
    return selected;
  }

  /** keytool (in every JDK and JRE) makes a key pair and a certificate for the API host's IP. */
  private static Path selfSignedCertificate(Path dir, String host) throws Exception {
    Path keyStore = dir.resolve("api.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    String password = new String(PASSWORD);
    run(keytool, "-genkeypair", "-alias", "api", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=kubernetes-api-stand-in", "-ext", "san=ip:" + host, "-validity", "2",
        "-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", password, "-keypass", password);
    run(keytool, "-exportcert", "-rfc", "-alias", "api", "-keystore", keyStore.toString(),
        "-storetype", "PKCS12", "-storepass", password, "-file", dir.resolve("ca.crt").toString());
    return keyStore;
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertTrue(command[1] + " finishes", process.waitFor(60, TimeUnit.SECONDS));
    assertEquals("keytool " + command[1] + ": " + output, 0, process.exitValue());
  }

  private static SSLContext serverTls(Path keyStore) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      store.load(in, PASSWORD);
    }
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, PASSWORD);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(keys.getKeyManagers(), null, new SecureRandom());
    return tls;
  }

  private static void awaitUpMembers(LedgerNode node, int count, Duration timeout) throws InterruptedException {
    Cluster cluster = Cluster.get(node.system());
    long deadline = System.nanoTime() + timeout.toNanos();
    while (upMembers(cluster) < count && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertEquals("Up members seen by " + cluster.selfMember().address(), count, upMembers(cluster));
    assertEquals(count, StreamSupport.stream(cluster.state().getMembers().spliterator(), false).count());
  }

  private static long upMembers(Cluster cluster) {
    return StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up())
        .count();
  }
}
