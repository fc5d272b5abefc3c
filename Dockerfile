# The ledger node image (k8s/). Build the jars first, then the image from the repository root:
#   mvn -B -DskipTests package
#   docker build -t ledger:0.1.0-SNAPSHOT .
# The runnable layout is app/target/ledger.jar + app/target/lib/*.jar, as `./ledger` runs it.
FROM eclipse-temurin:17-jre

# A fixed non-root uid, so that Kubernetes can check runAsNonRoot.
RUN useradd --system --uid 10001 --no-create-home --home-dir /opt/ledger --shell /usr/sbin/nologin ledger

WORKDIR /opt/ledger
# Dependencies first: they change less often than the application jar.
COPY app/target/lib/ /opt/ledger/lib/
COPY app/target/ledger.jar /opt/ledger/ledger.jar

USER 10001
# http, Akka Management (/ready, /alive, bootstrap), Akka remoting (Artery)
EXPOSE 8080 8558 25520

# Heap and other JVM options come from JAVA_TOOL_OPTIONS (k8s/base/ledger.yaml). java is PID 1:
# SIGTERM reaches the JVM and runs coordinated shutdown. `node` (default) or `schema`.
ENTRYPOINT ["java", "-cp", "/opt/ledger/ledger.jar:/opt/ledger/lib/*", "ledger.Main"]
CMD ["node"]
