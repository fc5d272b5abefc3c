package ledger.http;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.ConnectionContext;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBuilder;
import akka.http.javadsl.ServerBinding;
import akka.actor.typed.ActorRef;
import java.time.Duration;
import ledger.auth.Authenticator;
import java.util.concurrent.CompletionStage;
import ledger.query.QueryStore;
import ledger.recon.ReconEngine;

/**
 * Binds the API, over HTTPS when {@code ledger.http.tls} is on; coordinated shutdown unbinds it
 * first and lets in-flight requests finish.
 */
public final class HttpServer {
  private HttpServer() {}

  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, HttpSettings settings, QueryStore store,
                                                    ActorRef<ReconEngine.Command> recon, Duration reconRunTimeout,
                                                    Authenticator authenticator) {
    ServerBuilder server = Http.get(system).newServerAt(settings.iface(), settings.port());
    if (settings.tls() != null) {
      server = server.enableHttps(ConnectionContext.httpsServer(settings.tls()::newEngine));
    }
    return server
        .bind(new HttpApi(system, settings, store, recon, reconRunTimeout, authenticator).route())
        .thenApply(binding -> binding.addToCoordinatedShutdown(settings.shutdownDeadline(), system));
  }
}
