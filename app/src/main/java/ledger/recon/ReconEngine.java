package ledger.recon;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.cluster.typed.ClusterSingleton;
import akka.cluster.typed.SingletonActor;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import ledger.core.CborSerializable;
import ledger.metrics.Metrics;
import ledger.query.QueryStore;
import ledger.recon.ReconReport.Divergence;
import ledger.recon.ReconReport.Kind;

/**
 * The recon engine: one per cluster (a singleton), running {@link ReconRun} every interval and
 * on demand, one run at a time. It keeps the latest report, logs every divergence at ERROR and
 * exports the outcome as metrics. It never repairs anything.
 */
public final class ReconEngine extends AbstractBehavior<ReconEngine.Command> {

  public sealed interface Command extends CborSerializable {}

  /** Run now (every account if {@code full}) and answer with the report of that run. */
  public record RunNow(boolean full, ActorRef<Latest> replyTo) implements Command {}

  public record GetLatest(ActorRef<Latest> replyTo) implements Command {}

  /** The latest report; null before the first run has finished. */
  public record Latest(ReconReport report) implements CborSerializable {}

  private record Tick() implements Command {}

  private record Finished(ReconReport report) implements Command {}

  public static ActorRef<Command> init(akka.actor.typed.ActorSystem<?> system, QueryStore store,
                                       ReconSettings settings) {
    return ClusterSingleton.get(system).init(SingletonActor.of(
        Behaviors.supervise(create(store, settings)).onFailure(SupervisorStrategy.restart()), "recon-engine"));
  }

  static Behavior<Command> create(QueryStore store, ReconSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(new Tick(), settings.interval(), settings.interval());
      return new ReconEngine(ctx, store, settings);
    }));
  }

  private final ReconSettings settings;
  private final ReconRun run;
  private final Executor blocking;
  private final Metrics metrics;
  private ReconReport latest;
  private boolean running;
  /** Callers of the run in progress, and of the next one (asked for while one was running). */
  private List<RunNow> current = new ArrayList<>();
  private List<RunNow> next = new ArrayList<>();

  private ReconEngine(ActorContext<Command> ctx, QueryStore store, ReconSettings settings) {
    super(ctx);
    this.settings = settings;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    this.run = new ReconRun(ctx.getSystem(), store, settings, Clock.systemUTC(), blocking);
    this.metrics = Metrics.get(ctx.getSystem());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Tick.class, t -> {
          if (!running) {
            start(false);
          }
          return this;
        })
        .onMessage(RunNow.class, r -> {
          if (running) {
            next.add(r);
          } else {
            current.add(r);
            start(r.full());
          }
          return this;
        })
        .onMessage(GetLatest.class, g -> {
          g.replyTo().tell(new Latest(latest));
          return this;
        })
        .onMessage(Finished.class, this::finished)
        .build();
  }

  private void start(boolean full) {
    running = true;
    java.time.Instant started = java.time.Instant.now();
    CompletableFuture<ReconReport> report = CompletableFuture.supplyAsync(() -> run.run(full), blocking)
        .orTimeout(settings.runTimeout().toMillis(), TimeUnit.MILLISECONDS);
    getContext().pipeToSelf(report, (r, error) -> new Finished(r != null ? r
        : new ReconReport(started, java.time.Instant.now(), full, List.of(), 0, 0, 0, 0, List.of(),
            String.valueOf(error.getCause() == null ? error : error.getCause()))));
  }

  private Behavior<Command> finished(Finished f) {
    running = false;
    latest = f.report();
    publish(latest);
    current.forEach(r -> r.replyTo().tell(new Latest(latest)));
    current = next;
    next = new ArrayList<>();
    if (!current.isEmpty()) {
      start(current.stream().anyMatch(RunNow::full));
    }
    return this;
  }

  private void publish(ReconReport r) {
    metrics.reconRuns.labels(r.error() != null ? "failed" : r.ok() ? "ok" : "divergent").inc();
    metrics.reconStatus.set(r.ok() ? 1 : 0);
    metrics.reconLastRun.set(r.finishedAt().toEpochMilli() / 1000.0);
    for (Kind kind : Kind.values()) {
      metrics.reconDivergences.labels(kind.wire()).set(r.divergences().stream()
          .filter(d -> d.kind().equals(kind.wire())).count());
    }
    r.currencies().forEach(c -> metrics.reconBalanced.labels(c.currency()).set(c.balanced() ? 1 : 0));
    if (r.error() != null) {
      getContext().getLog().error("Recon run failed: {}", r.error());
    }
    for (Divergence d : r.divergences()) {
      getContext().getLog().error("Recon divergence {}: currency={} account={} transfer={}: {}", d.kind(),
          d.currency(), d.accountId(), d.transferId(), d.detail());
    }
    if (r.divergencesFound() > r.divergences().size()) {
      getContext().getLog().error("Recon found {} divergences; {} listed", r.divergencesFound(),
          r.divergences().size());
    }
  }
}
