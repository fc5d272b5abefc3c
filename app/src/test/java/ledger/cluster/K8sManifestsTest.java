package ledger.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import ledger.cassandra.CassandraConnection;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The Kubernetes manifests (k8s/) agree with the configuration the nodes load: the ports and
 * their names, the labels Kubernetes API discovery selects, the probe paths, the environment
 * variables application.conf reads, RBAC, rolling updates, disruption budget, shutdown time,
 * Cassandra's datacenter and replicas, the lease-majority overlay, transport security (Artery's
 * mutual TLS from cert-manager, Cassandra's logins, TLS to Cassandra and between its nodes) and
 * the network policies. Renders them with `kubectl kustomize` when kubectl is installed.
 */
public class K8sManifestsTest {
  private static final Path K8S = Path.of(System.getProperty("ledger.test.k8s-dir", "../k8s"));
  private static final YAMLMapper YAML = new YAMLMapper();
  /** Read by the JVM itself, not by application.conf. */
  private static final Set<String> JVM_VARIABLES = Set.of("JAVA_TOOL_OPTIONS");
  private static final String POD_IP = "10.1.2.3";

  private static Config config;
  private static List<JsonNode> base;
  private static JsonNode deployment;
  private static JsonNode container;

  @BeforeClass
  public static void load() {
    config = ConfigFactory.load();
    base = documents(K8S.resolve("base"));
    deployment = resource(base, "Deployment", "ledger");
    container = deployment.at("/spec/template/spec/containers/0");
    assertEquals("one container per ledger pod", 1, deployment.at("/spec/template/spec/containers").size());
  }

  @Test
  public void kustomizationsListEveryManifest() {
    assertEquals(yamlFiles(K8S.resolve("base")), listed(K8S.resolve("base"), "resources"));
    Set<String> lease = listed(K8S.resolve("lease-majority"), "resources");
    lease.remove("../base");
    lease.addAll(listed(K8S.resolve("lease-majority"), "patches"));
    assertEquals(yamlFiles(K8S.resolve("lease-majority")), lease);
  }

  @Test
  public void containerPortsAreTheConfiguredPorts() {
    Map<String, Integer> ports = containerPorts();
    assertEquals(Integer.valueOf(config.getInt("ledger.http.port")), ports.get("http"));
    assertEquals(Integer.valueOf(config.getInt("akka.remote.artery.canonical.port")), ports.get("remoting"));
    String managementName = config.getString("akka.management.cluster.bootstrap.contact-point-discovery.port-name");
    assertEquals("bootstrap probes the port named " + managementName,
        Integer.valueOf(config.getInt("akka.management.http.port")), ports.get(managementName));
  }

  @Test
  public void podLabelsAreWhatKubernetesApiDiscoverySelects() {
    String discovery = "akka.management.cluster.bootstrap.contact-point-discovery.";
    assertEquals("kubernetes-api", config.getString(discovery + "discovery-method"));
    Map<String, String> selector = parseSelector(String.format(
        config.getString("akka.discovery.kubernetes-api.pod-label-selector"),
        config.getString(discovery + "service-name")));
    assertFalse(selector.isEmpty());
    JsonNode labels = deployment.at("/spec/template/metadata/labels");
    selector.forEach((key, value) -> assertEquals("pod label " + key, value, labels.path(key).asText(null)));
    deployment.at("/spec/selector/matchLabels").fields().forEachRemaining(
        e -> assertEquals(e.getValue(), labels.get(e.getKey())));
    for (JsonNode other : base) {
      JsonNode otherLabels = other.at("/spec/template/metadata/labels");
      if (other != deployment && otherLabels.isObject()) {
        assertFalse("discovery must not find the pods of " + other.at("/metadata/name").asText(),
            selector.entrySet().stream().allMatch(e -> e.getValue().equals(otherLabels.path(e.getKey()).asText(null))));
      }
    }
  }

  @Test
  public void probesAskAkkaManagementForReadinessAndLiveness() {
    String readiness = "/" + config.getString("akka.management.health-checks.readiness-path");
    String liveness = "/" + config.getString("akka.management.health-checks.liveness-path");
    assertEquals("/ready", readiness);
    assertEquals("/alive", liveness);
    assertManagementProbe("readinessProbe", readiness);
    assertManagementProbe("livenessProbe", liveness);
    if (container.has("startupProbe")) {
      assertManagementProbe("startupProbe", liveness);
    }
  }

  @Test
  public void everyEnvironmentVariableIsOneApplicationConfReads() {
    Config unset = resolveApplicationConf(Map.of());
    Map<String, String> env = environment(container);
    for (String name : env.keySet()) {
      if (!JVM_VARIABLES.contains(name)) {
        assertFalse(name + " changes nothing in application.conf",
            unset.equals(resolveApplicationConf(Map.of(name, "set-by-" + name))));
      }
    }
    Config deployed = resolveApplicationConf(env);
    assertEquals("status.podIP", envField(container, "LEDGER_HOSTNAME"));
    assertEquals(POD_IP, deployed.getString("akka.remote.artery.canonical.hostname"));
    assertEquals(POD_IP, deployed.getString("akka.management.http.hostname"));
    assertEquals("a new cluster waits for every replica", deployment.at("/spec/replicas").asInt(),
        deployed.getInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
    assertTrue(env.getOrDefault("JAVA_TOOL_OPTIONS", "").contains("-XX:MaxRAMPercentage="));
    assertTrue("memory limit for MaxRAMPercentage", container.at("/resources/limits/memory").isTextual());
    assertTrue(container.at("/resources/requests/cpu").isTextual());
    assertContactPointsAreEveryCassandraPod(deployed.getString("ledger.cassandra.contact-points"));
  }

  /** Authentication is on in the pods, with the hash key from a Secret that is not in the manifests. */
  @Test
  public void theAuthHashKeyComesFromASecretThatIsNotInGit() {
    Map<String, String> env = environment(container);
    assertEquals("secret:ledger-auth/hash-key", env.get("LEDGER_AUTH_HASH_KEY"));
    Config deployed = resolveApplicationConf(env);
    assertTrue(deployed.getBoolean("ledger.auth.enabled"));
    assertEquals("secret:ledger-auth/hash-key", deployed.getString("ledger.auth.hash-key"));
    assertEquals("no bootstrap key in production", "", deployed.getString("ledger.auth.bootstrap-key-file"));
    assertFalse(env.containsKey("LEDGER_AUTH_ENABLED"));
    for (JsonNode resource : base) {
      assertFalse("no Secret with a value in the manifests", resource.path("kind").asText().equals("Secret"));
    }
  }

  /**
   * Artery speaks TLS with mutual authentication in the pods (plain tcp everywhere else), from
   * PEM files that cert-manager issues into the mounted Secret, as Akka's
   * RotatingKeysSSLEngineProvider wants them: an RSA PKCS#8 key, a certificate for both TLS
   * sides issued directly by a root CA of the ledger's own.
   */
  @Test
  public void remotingIsMutualTlsWithCertManagerCertificates() throws Exception {
    assertEquals("tcp", config.getString("akka.remote.artery.transport"));
    Map<String, String> env = environment(container);
    Config deployed = resolveApplicationConf(env).withFallback(ConfigFactory.defaultReference()).resolve();
    assertEquals("tls-tcp", deployed.getString("akka.remote.artery.transport"));
    String provider = deployed.getString("akka.remote.artery.ssl.ssl-engine-provider");
    assertEquals("akka.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider", provider);
    Class.forName(provider);
    Config engine = deployed.getConfig("akka.remote.artery.ssl.rotating-keys-engine");
    assertEquals("TLSv1.3", engine.getString("protocol"));
    String mountPath = engine.getString("secret-mount-point");
    for (String file : List.of("key-file", "cert-file", "ca-cert-file")) {
      assertTrue(file, engine.getString(file).startsWith(mountPath + "/"));
    }
    assertEquals("/elsewhere/tls.key", resolveApplicationConf(Map.of("LEDGER_REMOTING_TLS_DIR", "/elsewhere"))
        .withFallback(ConfigFactory.defaultReference()).getString("akka.remote.artery.ssl.rotating-keys-engine.key-file"));
    JsonNode mount = null;
    for (JsonNode m : container.path("volumeMounts")) {
      mount = m.path("mountPath").asText().equals(mountPath) ? m : mount;
    }
    assertNotNull("a volume mounted at " + mountPath, mount);
    assertTrue(mount.path("readOnly").asBoolean());
    JsonNode volume = null;
    for (JsonNode v : deployment.at("/spec/template/spec/volumes")) {
      volume = v.path("name").asText().equals(mount.path("name").asText()) ? v : volume;
    }
    assertNotNull(volume);
    assertEquals("key readable by owner and group only", 0440, volume.at("/secret/defaultMode").asInt());

    JsonNode nodes = certificateOfSecret(volume.at("/secret/secretName").asText());
    assertEquals("RSA", nodes.at("/spec/privateKey/algorithm").asText());
    assertEquals("PKCS8", nodes.at("/spec/privateKey/encoding").asText());
    assertEquals(Set.of("server auth", "client auth"), texts(nodes.at("/spec/usages")));
    assertFalse("every node's certificate carries the shared subject name", nodes.at("/spec/commonName").asText().isEmpty());
    JsonNode issuer = resource(base, "Issuer", nodes.at("/spec/issuerRef/name").asText());
    assertEquals("Issuer", nodes.at("/spec/issuerRef/kind").asText());
    JsonNode ca = certificateOfSecret(issuer.at("/spec/ca/secretName").asText());
    assertTrue(ca.at("/spec/isCA").asBoolean());
    JsonNode root = resource(base, "Issuer", ca.at("/spec/issuerRef/name").asText());
    assertTrue("the CA is a root (self-signed), not an intermediate", root.at("/spec/selfSigned").isObject());
  }

  /**
   * Cassandra runs with PasswordAuthenticator; the ledger logs in as the role the schema Job
   * creates, with the password of a Secret; the Job itself logs in as the superuser whose
   * password it takes from another Secret.
   */
  @Test
  public void cassandraRequiresALoginAndTheLedgerHasOneFromASecret() {
    assertFalse("no login by default", CassandraConnection.driverConfig(config)
        .hasPath("datastax-java-driver.advanced.auth-provider.class"));
    Map<String, String> env = environment(container);
    assertEquals("secret:ledger-cassandra/password", env.get("LEDGER_CASSANDRA_PASSWORD"));
    Config driver = CassandraConnection.driverConfig(resolveApplicationConf(env))
        .getConfig("datastax-java-driver.advanced.auth-provider");
    assertEquals("PlainTextAuthProvider", driver.getString("class"));
    String role = env.get("LEDGER_CASSANDRA_USERNAME");
    assertEquals(role, driver.getString("username"));
    assertEquals("secret:ledger-cassandra/password", driver.getString("password"));

    JsonNode job = resource(base, "Job", "ledger-schema").at("/spec/template/spec/containers/0");
    Map<String, String> jobEnv = environment(job);
    assertEquals("the role's password is the ledger's", env.get("LEDGER_CASSANDRA_PASSWORD"),
        jobEnv.get("LEDGER_CASSANDRA_PASSWORD"));
    assertEquals("secret:cassandra-admin/password", jobEnv.get("CASSANDRA_ADMIN_PASSWORD"));
    String script = job.at("/command/2").asText();
    assertTrue(script, script.contains("CREATE ROLE IF NOT EXISTS " + role + " WITH LOGIN = true AND PASSWORD = '$LEDGER_CASSANDRA_PASSWORD'"));
    assertTrue(script, script.contains("ALTER ROLE " + role + " WITH PASSWORD = '$LEDGER_CASSANDRA_PASSWORD'"));
    for (String line : script.split("\n")) {
      assertTrue("every cqlsh call logs in: " + line, !line.contains("cqlsh ") || line.contains(" -u "));
    }
  }

  /** The Cassandra container's start script switches either spelling of cassandra.yaml to PasswordAuthenticator. */
  @Test
  public void cassandraStartsWithPasswordAuthenticator() throws Exception {
    Assume.assumeTrue("sh is not on the PATH", onPath("sh") && onPath("sed") && onPath("grep"));
    JsonNode cassandra = resource(base, "StatefulSet", "cassandra").at("/spec/template/spec/containers/0");
    assertEquals("sh", cassandra.at("/command/0").asText());
    String script = cassandra.at("/command/2").asText();
    Map<String, String> spellings = Map.of(
        "authenticator: AllowAllAuthenticator\nauthorizer: AllowAllAuthorizer\n",
        "authenticator: PasswordAuthenticator\nauthorizer: AllowAllAuthorizer\n",
        "# authenticator:\n#   class_name : org.apache.cassandra.auth.AllowAllAuthenticator\nauthenticator:\n"
            + "  class_name : org.apache.cassandra.auth.AllowAllAuthenticator\nauthorizer:\n  class_name: AllowAllAuthorizer\n",
        "# authenticator:\n#   class_name : org.apache.cassandra.auth.AllowAllAuthenticator\nauthenticator:\n"
            + "  class_name : PasswordAuthenticator\nauthorizer:\n  class_name: AllowAllAuthorizer\n");
    Path dir = confDirWithEntrypoint();
    try {
      Map<String, String> env = Map.of(KEYSTORE_PASSWORD_VARIABLE, "0123abcdef");
      for (Map.Entry<String, String> yaml : spellings.entrySet()) {
        Files.writeString(dir.resolve("cassandra.yaml"), yaml.getKey());
        assertEquals("entrypoint cassandra -f", runScript(script, dir, env).strip());
        String patched = Files.readString(dir.resolve("cassandra.yaml"));
        assertTrue(patched, patched.startsWith(yaml.getValue()));
        assertFalse("the rest is the TLS settings", patched.substring(yaml.getValue().length()).contains("authenticator"));
      }
      Files.writeString(dir.resolve("cassandra.yaml"), "authenticator:\n  class_name: SomeOtherAuthenticator\n");
      assertEquals("an authenticator it cannot switch stops the pod", "", runScript(script, dir, env).strip());
    } finally {
      deleteDirectory(dir);
    }
  }

  /**
   * The start script replaces whatever client_encryption_options and server_encryption_options
   * cassandra.yaml has (the 4.x and 5.0 files' spellings, either authenticator spelling, blocks
   * in either order, the last one without a final newline) with TLS only on the CQL port and
   * between nodes, from the keystore the StatefulSet mounts and the password of its Secret;
   * everything else in the file stays; a second run changes nothing.
   */
  @Test
  public void cassandraStartsWithTlsOnTheCqlAndStoragePorts() throws Exception {
    Assume.assumeTrue("sh is not on the PATH", onPath("sh") && onPath("sed") && onPath("grep") && onPath("tail"));
    JsonNode cassandra = resource(base, "StatefulSet", "cassandra").at("/spec/template/spec/containers/0");
    String script = cassandra.at("/command/2").asText();
    String stores = cassandraStoresMountPath(base);
    List<String> authenticators = List.of(
        "authenticator: AllowAllAuthenticator\n",
        "authenticator:\n  class_name : org.apache.cassandra.auth.AllowAllAuthenticator\n");
    List<String> encryption = List.of(
        // 4.x: passwords set, server block first, a comment between the blocks
        "server_encryption_options:\n  internode_encryption: none\n  keystore: conf/.keystore\n"
            + "  keystore_password: cassandra\n  truststore: conf/.truststore\n  truststore_password: cassandra\n"
            + "  # require_client_auth: false\n\n# enable or disable client/server encryption.\n"
            + "client_encryption_options:\n  enabled: false\n  # optional: true\n  keystore: conf/.keystore\n"
            + "  keystore_password: cassandra\n  require_client_auth: false\n\ninternode_compression: dc\n"
            + "batch_size_warn_threshold_in_kb: 5\nunlogged_batch_across_partitions_warn_threshold: 10\n",
        // 5.0: passwords commented out, indented and column-0 comments, a commented-out block after
        "server_encryption_options:\n  # On outbound connections, determine which type of peers to securely connect to.\n"
            + "  internode_encryption: none\n  # optional: true\n  legacy_ssl_storage_port_enabled: false\n"
            + "  keystore: conf/.keystore\n  #keystore_password: cassandra\n  require_client_auth: false\n"
            + "  truststore: conf/.truststore\n  #truststore_password: cassandra\n  require_endpoint_verification: false\n"
            + "  # cipher_suites: [\n  #   TLS_RSA_WITH_AES_256_CBC_SHA\n  # ]\n\n# Configure client-to-server encryption.\n#\n"
            + "client_encryption_options:\n  # Enable client-to-server encryption\n  enabled: false\n  keystore: conf/.keystore\n"
            + "  #keystore_password: cassandra\n  require_client_auth: false\n  # store_type: JKS\n\n"
            + "# Configure SSL for JMX\n#jmx_server_options:\n  # enabled: true\n"
            + "internode_compression: dc\ntransparent_data_encryption_options:\n  enabled: false\n"
            + "batch_size_warn_threshold: 5KiB\n",
        // client block first, flow style, the server block last and unterminated
        "internode_compression: dc\nclient_encryption_options: {enabled: false, keystore: conf/.keystore}\n"
            + "server_encryption_options:\n  internode_encryption: dc\n  keystore: conf/.keystore");
    String password = "9f86d081884c7d659a2feaa0c55ad015";
    Map<String, String> env = Map.of(KEYSTORE_PASSWORD_VARIABLE, password);
    YAMLMapper strict = YAMLMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();
    Path dir = confDirWithEntrypoint();
    try {
      Path conf = dir.resolve("cassandra.yaml");
      for (String authenticator : authenticators) {
        for (String options : encryption) {
          Files.writeString(conf, authenticator + options);
          assertEquals("entrypoint cassandra -f", runScript(script, dir, env).strip());
          String patched = Files.readString(conf);
          assertFalse(patched, patched.contains("conf/.keystore") || patched.contains("conf/.truststore"));
          JsonNode yaml = strict.readTree(patched); // a key left twice fails here
          assertEquals(patched, "PasswordAuthenticator", yaml.at("/authenticator").isTextual()
              ? yaml.at("/authenticator").asText() : yaml.at("/authenticator/class_name").asText());
          assertEquals("the rest of the file stays", "dc", yaml.at("/internode_compression").asText());
          // The journal's batches: no warning below 50 KiB and 130 partitions, whatever the file had.
          assertEquals(patched, "50KiB", yaml.at("/batch_size_warn_threshold").asText());
          assertEquals(patched, 130, yaml.at("/unlogged_batch_across_partitions_warn_threshold").asInt());
          assertTrue(patched, yaml.at("/batch_size_warn_threshold_in_kb").isMissingNode());
          if (options.contains("transparent_data_encryption_options")) {
            assertFalse(yaml.at("/transparent_data_encryption_options/enabled").asBoolean(true));
          }
          JsonNode client = yaml.path("client_encryption_options");
          assertTrue(patched, client.path("enabled").asBoolean());
          assertFalse("plain CQL refused", client.path("optional").asBoolean(true));
          assertFalse("clients log in by password, not by certificate", client.path("require_client_auth").asBoolean(true));
          JsonNode server = yaml.path("server_encryption_options");
          assertEquals("all", server.path("internode_encryption").asText());
          assertFalse("no plain link between nodes", server.path("optional").asBoolean(true));
          assertFalse("no legacy SSL port 7001", server.path("legacy_ssl_storage_port_enabled").asBoolean(true));
          assertTrue("nodes present certificates of the CA to each other", server.path("require_client_auth").asBoolean());
          for (JsonNode options1 : List.of(client, server)) {
            assertEquals(stores + "/keystore.p12", options1.path("keystore").asText());
            assertEquals(stores + "/truststore.p12", options1.path("truststore").asText());
            assertEquals(password, options1.path("keystore_password").asText());
            assertEquals(password, options1.path("truststore_password").asText());
            assertEquals("cert-manager's keystores.pkcs12", "PKCS12", options1.path("store_type").asText());
          }
          assertEquals(Set.of("enabled", "optional", "keystore", "keystore_password", "truststore",
              "truststore_password", "store_type", "require_client_auth"), fieldNames(client));
          assertEquals(Set.of("internode_encryption", "optional", "legacy_ssl_storage_port_enabled", "keystore",
              "keystore_password", "truststore", "truststore_password", "store_type", "require_client_auth",
              "require_endpoint_verification"), fieldNames(server));
          assertEquals("entrypoint cassandra -f", runScript(script, dir, env).strip());
          assertEquals("a second run changes nothing", patched, Files.readString(conf));
        }
      }
    } finally {
      deleteDirectory(dir);
    }
  }

  /** A temporary config folder whose docker-entrypoint.sh only echoes its arguments. */
  private static Path confDirWithEntrypoint() throws IOException {
    Path dir = Files.createTempDirectory("cassandra-conf");
    Path entrypoint = dir.resolve("docker-entrypoint.sh");
    Files.writeString(entrypoint, "#!/bin/sh\necho \"entrypoint $*\"\n");
    entrypoint.toFile().setExecutable(true);
    return dir;
  }

  /**
   * The pod does not start when the TLS settings cannot be applied: no keystore password, one
   * that is not a plain YAML scalar, or a spelling of an encryption options key the patch does
   * not remove (it would be left next to the patch's own).
   */
  @Test
  public void cassandraRefusesToStartWithoutItsTlsSettings() throws Exception {
    Assume.assumeTrue("sh is not on the PATH", onPath("sh") && onPath("sed") && onPath("grep") && onPath("tail"));
    String script = resource(base, "StatefulSet", "cassandra").at("/spec/template/spec/containers/0/command/2").asText();
    String plain = "authenticator: AllowAllAuthenticator\nclient_encryption_options:\n  enabled: false\n"
        + "server_encryption_options:\n  internode_encryption: none\n";
    Path dir = confDirWithEntrypoint();
    try {
      Path conf = dir.resolve("cassandra.yaml");
      Files.writeString(conf, plain);
      assertEquals("the sample starts with a password", "entrypoint cassandra -f",
          runScript(script, dir, Map.of(KEYSTORE_PASSWORD_VARIABLE, "abc123")).strip());
      for (String password : List.of("", "two words", "quote\"d", "x'y", "a#b", "line\nbreak")) {
        Files.writeString(conf, plain);
        assertEquals("password [" + password + "] stops the pod", "",
            runScript(script, dir, Map.of(KEYSTORE_PASSWORD_VARIABLE, password)).strip());
      }
      Files.writeString(conf, plain);
      assertEquals("no password stops the pod", "", runScript(script, dir, Map.of()).strip());
      for (String key : List.of("\"client_encryption_options\"", "'server_encryption_options'")) {
        Files.writeString(conf, "authenticator: AllowAllAuthenticator\n" + key + ":\n  enabled: false\n");
        assertEquals(key + " left beside the patch stops the pod", "",
            runScript(script, dir, Map.of(KEYSTORE_PASSWORD_VARIABLE, "abc123")).strip());
      }
    } finally {
      deleteDirectory(dir);
    }
  }

  /** The TLS links to Cassandra and between its nodes, as the base declares them. */
  @Test
  public void cassandraTlsUsesCertificatesOfItsOwnCa() throws Exception {
    assertCassandraTls(base, listedNamespace(K8S.resolve("base")));
  }

  /**
   * Only ledger pods reach Artery and Akka Management on ledger pods; only ledger pods and the
   * schema Job reach CQL, only Cassandra pods Cassandra's storage port; the API port is open.
   */
  @Test
  public void networkPoliciesLetOnlyLedgerPodsReachClusterPorts() {
    Map<String, String> ledger = labels(deployment);
    Map<String, String> cassandra = labels(resource(base, "StatefulSet", "cassandra"));
    Map<String, String> schemaJob = labels(resource(base, "Job", "ledger-schema"));
    Map<String, String> other = Map.of("app", "something-else");
    int remoting = config.getInt("akka.remote.artery.canonical.port");
    int management = config.getInt("akka.management.http.port");
    int cql = Integer.parseInt(CassandraConnection.contactPointStrings(resolveApplicationConf(environment(container)))
        .get(0).replaceAll(".*:", ""));
    assertEquals(9042, cql);
    for (int port : List.of(remoting, management)) {
      assertTrue(admits(ledger, port, ledger));
      for (Map<String, String> source : List.of(cassandra, schemaJob, other)) {
        assertFalse(source + " reaches ledger port " + port, admits(ledger, port, source));
      }
      assertFalse("outside the namespace reaches ledger port " + port, admits(ledger, port, null));
    }
    assertTrue(admits(cassandra, cql, ledger));
    assertTrue(admits(cassandra, cql, schemaJob));
    assertFalse(admits(cassandra, cql, other));
    assertFalse(admits(cassandra, cql, null));
    assertTrue(admits(cassandra, 7000, cassandra));
    assertFalse(admits(cassandra, 7000, ledger));
    assertFalse("nothing else is open on Cassandra", admits(cassandra, 7199, ledger));
    int api = config.getInt("ledger.http.port");
    assertTrue(admits(ledger, api, other));
    assertTrue(admits(ledger, api, null));
    assertFalse("nothing else is open on a ledger pod", admits(ledger, 9999, ledger));
  }

  @Test
  public void rbacLetsDiscoveryReadPods() {
    String account = deployment.at("/spec/template/spec/serviceAccountName").asText();
    assertNotNull(resource(base, "ServiceAccount", account));
    assertTrue("a role bound to " + account + " reads pods",
        boundRoles(base, account).stream().anyMatch(role -> grants(role, "", "pods", "get", "list", "watch")));
  }

  @Test
  public void rollingUpdatesStartTheNewPodBeforeStoppingAnOldOne() {
    JsonNode strategy = deployment.at("/spec/strategy");
    assertEquals("RollingUpdate", strategy.path("type").asText());
    assertEquals("0", strategy.at("/rollingUpdate/maxUnavailable").asText());
    assertEquals("1", strategy.at("/rollingUpdate/maxSurge").asText());
  }

  @Test
  public void disruptionBudgetAndServiceSelectTheLedgerPods() {
    JsonNode matchLabels = deployment.at("/spec/selector/matchLabels");
    JsonNode budget = resource(base, "PodDisruptionBudget", "ledger");
    assertEquals(matchLabels, budget.at("/spec/selector/matchLabels"));
    assertEquals(1, budget.at("/spec/maxUnavailable").asInt());
    JsonNode service = resource(base, "Service", "ledger");
    assertEquals(matchLabels, service.at("/spec/selector"));
    assertEquals("http", service.at("/spec/ports/0/targetPort").asText());
    assertEquals(config.getInt("ledger.http.port"), service.at("/spec/ports/0/port").asInt());
  }

  /** SIGKILL must not cut coordinated shutdown short, even when every phase takes its timeout. */
  @Test
  public void gracePeriodOutlastsCoordinatedShutdown() {
    Config shutdown = config.getConfig("akka.coordinated-shutdown");
    Duration total = Duration.ZERO;
    for (String phase : shutdown.getObject("phases").keySet()) {
      Config settings = shutdown.getConfig(ConfigUtil.joinPath("phases", phase));
      total = total.plus(settings.hasPath("timeout") ? settings.getDuration("timeout")
          : shutdown.getDuration("default-phase-timeout"));
    }
    long grace = deployment.at("/spec/template/spec/terminationGracePeriodSeconds").asLong();
    assertTrue("terminationGracePeriodSeconds " + grace + " < coordinated shutdown " + total,
        Duration.ofSeconds(grace).compareTo(total) >= 0);
  }

  @Test
  public void cassandraHasTheDatacenterAndReplicasOfTheKeyspace() {
    JsonNode cassandra = resource(base, "StatefulSet", "cassandra");
    JsonNode headless = resource(base, "Service", cassandra.at("/spec/serviceName").asText());
    assertEquals("None", headless.at("/spec/clusterIP").asText());
    assertTrue(cassandra.at("/spec/volumeClaimTemplates/0/spec/resources/requests/storage").isTextual());
    String datacenter = config.getString("ledger.cassandra.local-datacenter");
    assertEquals(datacenter, environment(cassandra.at("/spec/template/spec/containers/0")).get("CASSANDRA_DC"));
    Matcher factor = Pattern.compile("'" + Pattern.quote(datacenter) + "'\\s*:\\s*(\\d+)")
        .matcher(config.getString("ledger.cassandra.replication"));
    assertTrue("replication names " + datacenter, factor.find());
    assertEquals(3, Integer.parseInt(factor.group(1)));
    assertEquals("replication factor = Cassandra nodes", 3, cassandra.at("/spec/replicas").asInt());
    assertEquals("QUORUM", config.getString("ledger.cassandra.consistency"));
  }

  @Test
  public void leaseMajorityOverlaySwitchesTheStrategyAndGrantsTheLease() throws Exception {
    List<JsonNode> overlay = documents(K8S.resolve("lease-majority"));
    JsonNode patch = resource(overlay, "Deployment", "ledger");
    Config leased = resolveApplicationConf(environment(patch.at("/spec/template/spec/containers/0")))
        .withFallback(ConfigFactory.defaultReference());
    String sbr = "akka.cluster.split-brain-resolver.";
    assertEquals("keep-majority", config.getString(sbr + "active-strategy"));
    assertEquals("lease-majority", leased.getString(sbr + "active-strategy"));
    String lease = leased.getString(sbr + "lease-majority.lease-implementation");
    assertEquals("akka.coordination.lease.kubernetes", lease);
    Class.forName(leased.getString(lease + ".lease-class"));
    assertNotNull(resource(overlay, "CustomResourceDefinition", "leases.akka.io"));
    String account = deployment.at("/spec/template/spec/serviceAccountName").asText();
    assertTrue("a role bound to " + account + " takes the lease", boundRoles(overlay, account).stream()
        .anyMatch(role -> grants(role, "akka.io", "leases", "get", "create", "update")));
  }

  @Test
  public void kustomizeRendersBothVariants() throws Exception {
    Assume.assumeTrue("kubectl is not on the PATH", onPath("kubectl"));
    List<JsonNode> plain = kustomize(K8S);
    List<JsonNode> leased = kustomize(K8S.resolve("lease-majority"));
    assertFalse(environment(resource(plain, "Deployment", "ledger").at("/spec/template/spec/containers/0"))
        .containsKey("LEDGER_SBR_STRATEGY"));
    assertEquals("lease-majority", environment(resource(leased, "Deployment", "ledger")
        .at("/spec/template/spec/containers/0")).get("LEDGER_SBR_STRATEGY"));
    for (List<JsonNode> rendered : List.of(plain, leased)) {
      JsonNode ledger = resource(rendered, "Deployment", "ledger").at("/spec/template/spec/containers/0");
      assertEquals("tls-tcp", environment(ledger).get("LEDGER_REMOTING_TRANSPORT"));
      assertEquals("secret:ledger-cassandra/password", environment(ledger).get("LEDGER_CASSANDRA_PASSWORD"));
      assertNotNull(resource(rendered, "Certificate", "ledger-remoting"));
      assertNotNull(resource(rendered, "NetworkPolicy", "ledger"));
      assertNotNull(resource(rendered, "NetworkPolicy", "cassandra"));
      assertCassandraTls(rendered, "ledger");
      assertEquals("the start script the script tests run is the one rendered",
          resource(base, "StatefulSet", "cassandra").at("/spec/template/spec/containers/0/command"),
          resource(rendered, "StatefulSet", "cassandra").at("/spec/template/spec/containers/0/command"));
    }
    for (JsonNode doc : leased) {
      String kind = doc.path("kind").asText();
      if (!kind.equals("Namespace") && !kind.equals("CustomResourceDefinition")) {
        assertEquals(kind + " in namespace ledger", "ledger", doc.at("/metadata/namespace").asText());
      }
    }
  }

  private static final String KEYSTORE_PASSWORD_VARIABLE = "CASSANDRA_KEYSTORE_PASSWORD";

  /**
   * TLS on Cassandra's CQL and storage ports with a certificate from a CA of Cassandra's own, as
   * {@code docs} (the base's files or a kustomize render in {@code namespace}) declare it:
   * Cassandra's keystore, the ledger's truststore and the schema Job's CA file all come from that
   * certificate's Secret, each pod mounting only the file it needs; the certificate names every
   * contact point and every pod's full name; its keystore password is a Secret's.
   */
  private static void assertCassandraTls(List<JsonNode> docs, String namespace) throws Exception {
    JsonNode statefulSet = resource(docs, "StatefulSet", "cassandra");
    JsonNode cassandra = statefulSet.at("/spec/template/spec/containers/0");
    String passwordSecret = environment(cassandra).get(KEYSTORE_PASSWORD_VARIABLE);
    assertNotNull(KEYSTORE_PASSWORD_VARIABLE + " from a Secret", passwordSecret);
    assertTrue(passwordSecret, passwordSecret.startsWith("secret:"));
    String stores = cassandraStoresMountPath(docs);
    JsonNode storesVolume = mountedVolume(statefulSet, stores);
    assertTrue(mountOf(cassandra, stores).path("readOnly").asBoolean());
    assertEquals("the stores, not the PEM key", Map.of("keystore.p12", "keystore.p12", "truststore.p12", "truststore.p12"),
        items(storesVolume));
    String secretName = storesVolume.at("/secret/secretName").asText();
    assertFalse(secretName.isEmpty());

    JsonNode certificate = certificateOfSecret(docs, secretName);
    JsonNode pkcs12 = certificate.at("/spec/keystores/pkcs12");
    assertTrue("keystore.p12 and truststore.p12", pkcs12.path("create").asBoolean());
    assertEquals("readable by Java 17", "Modern2023", pkcs12.path("profile").asText());
    assertFalse("no literal password", pkcs12.has("password"));
    assertEquals("the keystore's password is the one the start script writes", passwordSecret,
        "secret:" + pkcs12.at("/passwordSecretRef/name").asText() + "/" + pkcs12.at("/passwordSecretRef/key").asText());
    assertTrue(texts(certificate.at("/spec/usages")).containsAll(Set.of("server auth", "client auth")));
    assertEquals("RSA", certificate.at("/spec/privateKey/algorithm").asText());
    assertTrue(certificate.at("/spec/renewBefore").isTextual());

    // Cassandra's own CA: a root of its own that issues this certificate and no other.
    assertEquals("Issuer", certificate.at("/spec/issuerRef/kind").asText());
    String issuerName = certificate.at("/spec/issuerRef/name").asText();
    JsonNode issuer = resource(docs, "Issuer", issuerName);
    JsonNode ca = certificateOfSecret(docs, issuer.at("/spec/ca/secretName").asText());
    assertTrue(ca.at("/spec/isCA").asBoolean());
    assertTrue("the CA is a root", resource(docs, "Issuer", ca.at("/spec/issuerRef/name").asText()).at("/spec/selfSigned").isObject());
    JsonNode remoting = resource(docs, "Certificate", "ledger-remoting");
    assertFalse("not the CA that admits Akka cluster members", issuerName.equals(remoting.at("/spec/issuerRef/name").asText()));
    assertFalse(ca.at("/spec/secretName").asText().equals(
        resource(docs, "Issuer", remoting.at("/spec/issuerRef/name").asText()).at("/spec/ca/secretName").asText()));
    for (JsonNode other : docs) {
      if (other.path("kind").asText().equals("Certificate") && other != certificate) {
        assertFalse(other.at("/metadata/name").asText() + " is issued by Cassandra's CA",
            other.at("/spec/issuerRef/name").asText().equals(issuerName));
      }
    }

    // The names: every contact point, and every pod's full name in the namespace.
    JsonNode ledgerDeployment = resource(docs, "Deployment", "ledger");
    JsonNode ledger = ledgerDeployment.at("/spec/template/spec/containers/0");
    Config deployed = resolveApplicationConf(environment(ledger));
    String service = statefulSet.at("/spec/serviceName").asText();
    Set<String> hosts = new HashSet<>();
    for (String contactPoint : CassandraConnection.contactPointStrings(deployed)) {
      hosts.add(contactPoint.replaceAll(":\\d+$", ""));
    }
    assertEquals(statefulSet.at("/spec/replicas").asInt(), hosts.size());
    for (int i = 0; i < statefulSet.at("/spec/replicas").asInt(); i++) {
      hosts.add(statefulSet.at("/metadata/name").asText() + "-" + i + "." + service + "." + namespace + ".svc.cluster.local");
    }
    for (String host : hosts) {
      assertTrue(host + " is a name of Cassandra's certificate", certificateNames(certificate, host));
    }
    assertFalse(certificateNames(certificate, "ledger-0.ledger"));

    // The ledger: TLS on, Cassandra's CA in its truststore, names checked.
    Config driver = CassandraConnection.driverConfig(deployed).getConfig("datastax-java-driver.advanced.ssl-engine-factory");
    assertEquals("DefaultSslEngineFactory", driver.getString("class"));
    assertTrue("the certificate names the contact points", driver.getBoolean("hostname-validation"));
    String truststore = driver.getString("truststore-path");
    String truststoreDir = truststore.substring(0, truststore.lastIndexOf('/'));
    JsonNode truststoreVolume = mountedVolume(ledgerDeployment, truststoreDir);
    assertTrue(mountOf(ledger, truststoreDir).path("readOnly").asBoolean());
    assertEquals(secretName, truststoreVolume.at("/secret/secretName").asText());
    assertEquals("the truststore only: Cassandra's key stays out of ledger pods",
        Map.of("truststore.p12", truststore.substring(truststoreDir.length() + 1)), items(truststoreVolume));
    assertEquals(passwordSecret, driver.getString("truststore-password"));

    // The schema Job: cqlsh over TLS, checking Cassandra's certificate against the CA.
    JsonNode jobSpec = resource(docs, "Job", "ledger-schema").at("/spec/template/spec");
    JsonNode apply = jobSpec.at("/containers/0");
    Map<String, String> jobEnv = environment(apply);
    assertEquals("true", jobEnv.get("SSL_VALIDATE"));
    String certfile = jobEnv.get("SSL_CERTFILE");
    String certDir = certfile.substring(0, certfile.lastIndexOf('/'));
    JsonNode caVolume = null;
    for (JsonNode v : jobSpec.path("volumes")) {
      caVolume = v.path("name").asText().equals(mountOf(apply, certDir).path("name").asText()) ? v : caVolume;
    }
    assertNotNull(caVolume);
    assertEquals(secretName, caVolume.at("/secret/secretName").asText());
    assertEquals("ca.crt only", Map.of("ca.crt", certfile.substring(certDir.length() + 1)), items(caVolume));
    int calls = 0;
    for (String line : apply.at("/command/2").asText().split("\n")) {
      if (line.contains("cqlsh ")) {
        calls++;
        assertTrue("every cqlsh call uses TLS: " + line, line.contains("cqlsh --ssl "));
      }
    }
    assertTrue(calls >= 3);
  }

  /** Where the Cassandra container mounts the volume with keystore.p12 (the start script's path). */
  private static String cassandraStoresMountPath(List<JsonNode> docs) {
    JsonNode statefulSet = resource(docs, "StatefulSet", "cassandra");
    String script = statefulSet.at("/spec/template/spec/containers/0/command/2").asText();
    Matcher tls = Pattern.compile("(?m)^tls=(\\S+)$").matcher(script);
    assertTrue("the start script names the stores' folder", tls.find());
    return tls.group(1);
  }

  private static JsonNode mountOf(JsonNode container, String mountPath) {
    for (JsonNode m : container.path("volumeMounts")) {
      if (m.path("mountPath").asText().equals(mountPath)) {
        return m;
      }
    }
    throw new AssertionError("nothing mounted at " + mountPath);
  }

  /** The Secret volume mounted at {@code mountPath} in the workload's first container. */
  private static JsonNode mountedVolume(JsonNode workload, String mountPath) {
    String name = mountOf(workload.at("/spec/template/spec/containers/0"), mountPath).path("name").asText();
    for (JsonNode v : workload.at("/spec/template/spec/volumes")) {
      if (v.path("name").asText().equals(name)) {
        assertTrue(name + " is a Secret volume", v.has("secret"));
        return v;
      }
    }
    throw new AssertionError("no volume " + name);
  }

  /** A Secret volume's items, path to key; empty if it mounts the whole Secret. */
  private static Map<String, String> items(JsonNode volume) {
    Map<String, String> items = new HashMap<>();
    volume.at("/secret/items").forEach(i -> items.put(i.path("path").asText(), i.path("key").asText()));
    return items;
  }

  /** Whether one of the certificate's DNS names is the host, a wildcard standing for one label. */
  private static boolean certificateNames(JsonNode certificate, String host) {
    for (JsonNode dnsName : certificate.at("/spec/dnsNames")) {
      String name = dnsName.asText();
      int dot = host.indexOf('.');
      if (name.equals(host) || name.startsWith("*.") && dot > 0 && host.substring(dot + 1).equals(name.substring(2))) {
        return true;
      }
    }
    return false;
  }

  private static Set<String> fieldNames(JsonNode node) {
    Set<String> names = new HashSet<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static String listedNamespace(Path dir) throws IOException {
    return YAML.readTree(dir.resolve("kustomization.yaml").toFile()).path("namespace").asText();
  }

  private static void deleteDirectory(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      files.forEach(f -> f.toFile().delete());
    }
    Files.delete(dir);
  }

  private static JsonNode certificateOfSecret(List<JsonNode> docs, String secretName) {
    return docs.stream()
        .filter(d -> d.path("kind").asText().equals("Certificate") && d.at("/spec/secretName").asText().equals(secretName))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Certificate issues Secret " + secretName));
  }

  private static JsonNode certificateOfSecret(String secretName) {
    return base.stream()
        .filter(d -> d.path("kind").asText().equals("Certificate") && d.at("/spec/secretName").asText().equals(secretName))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Certificate issues Secret " + secretName));
  }

  private static Map<String, String> labels(JsonNode workload) {
    Map<String, String> labels = new HashMap<>();
    workload.at("/spec/template/metadata/labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    return labels;
  }

  /**
   * Whether NetworkPolicy (Kubernetes' semantics, the subset used here) lets a pod with
   * {@code source} labels in the namespace (null: from outside it) open {@code port} on a pod
   * with {@code target} labels: unrestricted if no policy selects the target, else if a rule
   * of one of those policies admits the port and the source.
   */
  private static boolean admits(Map<String, String> target, int port, Map<String, String> source) {
    boolean selected = false;
    for (JsonNode policy : base) {
      if (!policy.path("kind").asText().equals("NetworkPolicy")) {
        continue;
      }
      assertTrue("only matchLabels selectors", policy.at("/spec/podSelector/matchExpressions").isMissingNode());
      if (!matches(policy.at("/spec/podSelector/matchLabels"), target) || !texts(policy.at("/spec/policyTypes")).contains("Ingress")) {
        continue;
      }
      selected = true;
      for (JsonNode rule : policy.at("/spec/ingress")) {
        boolean portOk = !rule.has("ports");
        for (JsonNode p : rule.path("ports")) {
          portOk |= p.path("port").asInt() == port && p.path("protocol").asText("TCP").equals("TCP");
        }
        boolean sourceOk = !rule.has("from");
        for (JsonNode peer : rule.path("from")) {
          assertFalse("no namespace or IP peers", peer.has("namespaceSelector") || peer.has("ipBlock"));
          sourceOk |= source != null && matches(peer.at("/podSelector/matchLabels"), source);
        }
        if (portOk && sourceOk) {
          return true;
        }
      }
    }
    return !selected;
  }

  private static boolean matches(JsonNode matchLabels, Map<String, String> labels) {
    boolean all = true;
    for (var it = matchLabels.fields(); it.hasNext(); ) {
      var e = it.next();
      all &= e.getValue().asText().equals(labels.get(e.getKey()));
    }
    return all;
  }

  /**
   * Runs a container's shell script with CASSANDRA_CONF and PATH at dir and the given variables
   * (no keystore password unless given); its output, "" if it failed.
   */
  private static String runScript(String script, Path dir, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", script).redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().remove(KEYSTORE_PASSWORD_VARIABLE);
    pb.environment().putAll(env);
    pb.environment().put("CASSANDRA_CONF", dir.toString());
    pb.environment().put("PATH", dir + File.pathSeparator + System.getenv("PATH"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    return p.exitValue() == 0 ? out : "";
  }

  private void assertManagementProbe(String probe, String path) {
    JsonNode get = container.path(probe).path("httpGet");
    assertEquals(probe + " path", path, get.path("path").asText());
    JsonNode port = get.path("port");
    int number = port.isInt() ? port.asInt() : containerPorts().getOrDefault(port.asText(), -1);
    assertEquals(probe + " on the management port", config.getInt("akka.management.http.port"), number);
  }

  /** Each host:port is a StatefulSet pod's stable name (pod.service) and the CQL port; all pods. */
  private static void assertContactPointsAreEveryCassandraPod(String contactPoints) {
    JsonNode cassandra = resource(base, "StatefulSet", "cassandra");
    String service = cassandra.at("/spec/serviceName").asText();
    int cql = -1;
    for (JsonNode port : resource(base, "Service", service).at("/spec/ports")) {
      cql = port.path("name").asText().equals("cql") ? port.path("port").asInt() : cql;
    }
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < cassandra.at("/spec/replicas").asInt(); i++) {
      expected.add("cassandra-" + i + "." + service + ":" + cql);
    }
    assertEquals(expected, Set.of(contactPoints.split(",")));
  }

  private static Map<String, Integer> containerPorts() {
    Map<String, Integer> ports = new HashMap<>();
    container.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
    return ports;
  }

  /**
   * Name to value; a value from the downward API (status.podIP) stands as {@link #POD_IP}, one
   * from a Secret as {@code secret:<name>/<key>}.
   */
  private static Map<String, String> environment(JsonNode container) {
    Map<String, String> env = new LinkedHashMap<>();
    for (JsonNode variable : container.path("env")) {
      JsonNode secret = variable.at("/valueFrom/secretKeyRef");
      String value = variable.has("value") ? variable.path("value").asText()
          : secret.isMissingNode() ? POD_IP : "secret:" + secret.path("name").asText() + "/" + secret.path("key").asText();
      env.put(variable.path("name").asText(), value);
    }
    return env;
  }

  private static String envField(JsonNode container, String name) {
    for (JsonNode variable : container.path("env")) {
      if (variable.path("name").asText().equals(name)) {
        return variable.at("/valueFrom/fieldRef/fieldPath").asText(null);
      }
    }
    throw new AssertionError(name + " is not set");
  }

  /**
   * application.conf as a pod with these environment variables resolves it: a `${?NAME}` finds a
   * root-level NAME before the real environment, so the variables are given as root keys.
   */
  private static Config resolveApplicationConf(Map<String, String> env) {
    Config resolved = ConfigFactory.parseMap(env)
        .withFallback(ConfigFactory.parseResources("application.conf"))
        .resolve();
    for (String name : env.keySet()) {
      resolved = resolved.withoutPath(name);
    }
    return resolved;
  }

  private static Map<String, String> parseSelector(String selector) {
    Map<String, String> labels = new LinkedHashMap<>();
    for (String term : selector.split(",")) {
      String[] kv = term.split("=", 2);
      assertEquals("only key=value selectors: " + selector, 2, kv.length);
      labels.put(kv[0].strip(), kv[1].strip());
    }
    return labels;
  }

  private static List<JsonNode> boundRoles(List<JsonNode> docs, String serviceAccount) {
    List<JsonNode> roles = new ArrayList<>();
    for (JsonNode binding : docs) {
      if (!binding.path("kind").asText().equals("RoleBinding")) {
        continue;
      }
      boolean toAccount = false;
      for (JsonNode subject : binding.path("subjects")) {
        toAccount |= subject.path("kind").asText().equals("ServiceAccount")
            && subject.path("name").asText().equals(serviceAccount);
      }
      if (toAccount && binding.at("/roleRef/kind").asText().equals("Role")) {
        roles.add(resource(docs, "Role", binding.at("/roleRef/name").asText()));
      }
    }
    return roles;
  }

  private static boolean grants(JsonNode role, String apiGroup, String resource, String... verbs) {
    for (JsonNode rule : role.path("rules")) {
      Set<String> ruleVerbs = texts(rule.path("verbs"));
      if (texts(rule.path("apiGroups")).contains(apiGroup) && texts(rule.path("resources")).contains(resource)
          && ruleVerbs.containsAll(List.of(verbs))) {
        return true;
      }
    }
    return false;
  }

  private static Set<String> texts(JsonNode array) {
    Set<String> values = new HashSet<>();
    array.forEach(v -> values.add(v.asText()));
    return values;
  }

  private static JsonNode resource(List<JsonNode> docs, String kind, String name) {
    return docs.stream()
        .filter(d -> d.path("kind").asText().equals(kind) && d.at("/metadata/name").asText().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  /** Every document of every YAML file in the folder, kustomization.yaml aside. */
  private static List<JsonNode> documents(Path dir) {
    List<JsonNode> docs = new ArrayList<>();
    for (String file : yamlFiles(dir)) {
      try {
        docs.addAll(YAML.readerFor(JsonNode.class).<JsonNode>readValues(dir.resolve(file).toFile()).readAll());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    docs.removeIf(JsonNode::isNull);
    return docs;
  }

  private static Set<String> yamlFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      Set<String> names = new HashSet<>();
      files.map(f -> f.getFileName().toString())
          .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
          .forEach(names::add);
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Set<String> listed(Path dir, String field) {
    Set<String> entries = new HashSet<>();
    try {
      for (JsonNode entry : YAML.readTree(dir.resolve("kustomization.yaml").toFile()).path(field)) {
        entries.add(entry.isTextual() ? entry.asText() : entry.path("path").asText());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return entries;
  }

  private static List<JsonNode> kustomize(Path dir) throws Exception {
    File errors = File.createTempFile("kustomize", ".err");
    try {
      Process process = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectError(errors).start();
      byte[] out = process.getInputStream().readAllBytes();
      assertTrue("kubectl kustomize " + dir + " finishes", process.waitFor(60, TimeUnit.SECONDS));
      assertEquals("kubectl kustomize " + dir + ": " + Files.readString(errors.toPath()), 0, process.exitValue());
      List<JsonNode> docs = YAML.readerFor(JsonNode.class)
          .<JsonNode>readValues(new String(out, StandardCharsets.UTF_8)).readAll();
      assertFalse(docs.isEmpty());
      return docs;
    } finally {
      errors.delete();
    }
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }
}
