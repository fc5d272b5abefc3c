package ledger.http;

import static org.junit.Assert.assertEquals;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Directives;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/**
 * A request that outlives akka.http.server.request-timeout is answered with the JSON error of
 * docs/api.md ({@code 503 unavailable}, Retry-After), never Akka HTTP's plain-text 503.
 */
public class RequestTimeoutTest {
  @Test
  public void aTimedOutRequestIsAJsonError() throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "request-timeout-test",
        ConfigFactory.parseString("akka.http.server.request-timeout = 500ms")
            .withFallback(ConfigFactory.defaultReference()));
    try {
      CompletableFuture<akka.http.javadsl.model.HttpResponse> never = new CompletableFuture<>();
      ServerBinding binding = Http.get(system).newServerAt("127.0.0.1", 0)
          .bind(HttpApi.timeoutsAsErrors(() -> Directives.completeWithFuture(never)))
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + "/accounts/a/entries"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(r.body(), 503, r.statusCode());
      assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
      assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
      JsonNode body = Json.MAPPER.readTree(r.body());
      assertEquals(r.body(), "unavailable", body.path("error").path("code").asText());
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
