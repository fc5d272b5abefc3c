package ledger;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.RecipientRef;
import akka.cluster.sharding.typed.ClusterShardingSettings;
import akka.cluster.sharding.typed.HashCodeMessageExtractor;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.http.javadsl.ServerBinding;
import com.typesafe.config.Config;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import ledger.account.AccountEntity;
import ledger.auth.Authenticator;
import ledger.auth.NodeAuth;
import ledger.cassandra.CassandraConnection;
import ledger.cluster.ClusterFormation;
import ledger.cluster.ShardCount;
import ledger.fencing.Fencing;
import ledger.http.HttpServer;
import ledger.http.HttpSettings;
import ledger.liveness.HeldLegSweeper;
import ledger.metrics.Metrics;
import ledger.query.AccountProjections;
import ledger.query.QuerySettings;
import ledger.query.QueryStore;
import ledger.recon.ReconEngine;
import ledger.recon.ReconSettings;
import ledger.transfer.TransferEntity;

/**
 * One ledger node: an ActorSystem with sharded entities, the account projections, the recon
 * engine (a cluster singleton), the HTTP API and Akka Management.
 */
public final class LedgerNode {
  private final ActorSystem<Void> system;
  private final ServerBinding binding;

  private LedgerNode(ActorSystem<Void> system, ServerBinding binding) {
    this.system = system;
    this.binding = binding;
  }

  /** Starts a node from a resolved config; returns once HTTP is bound. */
  public static LedgerNode start(Config config, Duration bindTimeout) {
    Config full = CassandraConnection.driverConfig(config).withFallback(config);
    // Read (keystore opened) before anything starts: bad TLS settings stop the node at once.
    HttpSettings http = HttpSettings.fromConfig(full);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "ledger", full);
    try {
      // Before any shard or journal: they ask it whether this node may write.
      Fencing.get(system);
      boolean remember = rememberAccounts(full);
      initEntities(system, full, remember);
      QueryStore store = new QueryStore(system, QuerySettings.fromConfig(full));
      if (store.settings().projectionEnabled()) {
        AccountProjections.init(system, store, full);
      }
      if (!remember) {
        ClusterSharding sharding = ClusterSharding.get(system);
        HeldLegSweeper.init(system, HeldLegSweeper.Rows.of(store, AccountProjections.NAME),
            id -> sharding.entityRefFor(AccountEntity.TYPE_KEY, id).tell(new AccountEntity.CheckPending()),
            HeldLegSweeper.Settings.fromConfig(full));
      }
      ReconSettings recon = ReconSettings.fromConfig(full);
      ActorRef<ReconEngine.Command> reconEngine = recon.enabled() ? ReconEngine.init(system, store, recon) : null;
      Authenticator authenticator = NodeAuth.start(system, full);
      ClusterFormation.start(system);
      ServerBinding binding = HttpServer.start(system, http, store, reconEngine,
              recon.runTimeout(), authenticator)
          .toCompletableFuture().get(bindTimeout.toMillis(), TimeUnit.MILLISECONDS);
      return new LedgerNode(system, binding);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("ledger node failed to start: " + e.getMessage(), e);
    }
  }

  /**
   * An account holding a pending leg must be restarted after a crash of its node (or a move of
   * its shard) without any client acting, to resolve the leg with its coordinator (S6). With the
   * projections on, the held-leg sweeper does it from the pending_legs rows, and accounts start
   * on their first request. Without them, accounts are remembered entities: every account used
   * in the last idle-timeout is restarted with its shard.
   */
  public static boolean rememberAccounts(Config config) {
    boolean projections = config.getBoolean("ledger.projection.enabled");
    String mode = config.getString("ledger.account.remember-entities");
    return switch (mode) {
      case "on" -> true;
      case "auto" -> !projections;
      case "off" -> {
        if (!projections) {
          throw new IllegalArgumentException("ledger.account.remember-entities = off needs the projections "
              + "(ledger.projection.enabled): the held-leg sweeper reads their pending_legs table");
        }
        yield false;
      }
      default -> throw new IllegalArgumentException(
          "ledger.account.remember-entities must be on, off or auto, not " + mode);
    };
  }

  private static void initEntities(ActorSystem<Void> system, Config config, boolean remember) {
    int shards = ShardCount.forNode(system, config);
    ClusterSharding sharding = ClusterSharding.get(system);
    Clock clock = Clock.systemUTC();
    AccountEntity.Settings accountSettings = AccountEntity.Settings.fromConfig(config);
    TransferEntity.Settings transferSettings = TransferEntity.Settings.fromConfig(config);
    AccountEntity.Coordinators coordinators =
        TransferEntity.coordinators(id -> sharding.entityRefFor(TransferEntity.TYPE_KEY, id));
    Function<String, RecipientRef<AccountEntity.Command>> accounts =
        id -> sharding.entityRefFor(AccountEntity.TYPE_KEY, id);
    Metrics metrics = Metrics.get(system);
    AccountEntity.PersistObserver persistLatency = nanos -> metrics.journalPersist.observe(nanos / 1e9);
    sharding.init(Entity.of(AccountEntity.TYPE_KEY,
            ctx -> AccountEntity.create(ctx.getEntityId(), accountSettings,
                new AccountEntity.Environment(coordinators, ctx.getShard(), clock, persistLatency)))
        // Accounts passivate themselves (idle, no pending leg), never by sharding's strategy.
        .withSettings(ClusterShardingSettings.create(system).withRememberEntities(remember)
            .withNoPassivationStrategy())
        .withMessageExtractor(new HashCodeMessageExtractor<>(shards)));
    sharding.init(Entity.of(TransferEntity.TYPE_KEY,
        ctx -> TransferEntity.create(ctx.getEntityId(), transferSettings,
            new TransferEntity.Environment(accounts, ctx.getShard(), clock)))
        .withMessageExtractor(new HashCodeMessageExtractor<>(shards)));
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public InetSocketAddress httpAddress() {
    return binding.localAddress();
  }

  public int managementPort() {
    return system.settings().config().getInt("akka.management.http.port");
  }

  /** Runs coordinated shutdown (unbind HTTP, hand off shards, leave) and waits for the end. */
  public void stop(Duration timeout) {
    CoordinatedShutdown.get(system).run(CoordinatedShutdown.unknownReason());
    awaitTermination(timeout);
  }

  public boolean awaitTermination(Duration timeout) {
    try {
      system.getWhenTerminated().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
