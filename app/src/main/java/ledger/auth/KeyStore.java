package ledger.auth;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** Where keys are kept: the api_keys table (CassandraKeyStore), or a node's memory in tests. */
public interface KeyStore {
  CompletionStage<Optional<KeyRecord>> find(String id);

  /** Inserts the key unless its id exists; answers whether it was inserted. */
  CompletionStage<Boolean> insertIfAbsent(KeyRecord key);

  CompletionStage<List<KeyRecord>> list();

  /** Marks the key revoked at {@code at} (once: a later revoke keeps the first time); false if unknown. */
  CompletionStage<Boolean> revoke(String id, Instant at);
}
