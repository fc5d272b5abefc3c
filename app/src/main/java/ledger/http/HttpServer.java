package ledger.http;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import java.util.concurrent.CompletionStage;

/** Binds the API; coordinated shutdown unbinds it first and lets in-flight requests finish. */
public final class HttpServer {
  private HttpServer() {}

  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, HttpSettings settings) {
    return Http.get(system)
        .newServerAt(settings.iface(), settings.port())
        .bind(new HttpApi(system, settings).route())
        .thenApply(binding -> binding.addToCoordinatedShutdown(settings.shutdownDeadline(), system));
  }
}
