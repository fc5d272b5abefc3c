package ledger.metrics;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Summary;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * The node's Prometheus metrics (GET /metrics), one registry per ActorSystem so that several
 * nodes in one JVM (tests) do not share counters. Label values are bounded: routes are path
 * templates, codes are ResultCode names, tags are the fixed projection tags.
 */
public final class Metrics implements Extension {
  private final CollectorRegistry registry = new CollectorRegistry();

  public final Counter httpRequests = Counter.build("ledger_http_requests_total", "HTTP requests by route and status")
      .labelNames("method", "route", "status").register(registry);
  public final Counter transferOutcomes = Counter.build("ledger_transfer_outcomes_total",
      "Transfer create answers by status (posted, pending, rejected, failed, unknown) and code")
      .labelNames("status", "code").register(registry);
  public final Gauge transfersInFlight = Gauge.build("ledger_transfers_in_flight",
      "Transfer work admitted and not yet answered on this node (creates, batch elements, posts, voids)")
      .register(registry);
  public final Counter transfersOverloaded = Counter.build("ledger_transfers_overloaded_total",
      "Transfer requests refused with 503 overloaded before any work started").register(registry);
  public final Counter recoveryFailures = Counter.build("ledger_recovery_failures_total",
      "Entity recoveries that failed, by entity type and reason (second_writer: the journal holds events of two "
          + "writers of one persistence id; other: e.g. Cassandra unreachable)").labelNames("entity", "reason")
      .register(registry);
  public final Counter heldLegWakes = Counter.build("ledger_held_leg_wakes_total",
      "Accounts holding pending legs sent a check by the sweeper (it starts them if they are not running)")
      .register(registry);
  public final Counter heldLegSweeps = Counter.build("ledger_held_leg_sweeps_total",
      "Reads of the pending legs by the sweeper, by kind (pass: the newly due; full: from the floor; complete: the "
          + "whole lookback) and result (ok; failed; chunk_skipped; partial: a full read that skipped a chunk or "
          + "could not read its carried rows)")
      .labelNames("kind", "result").register(registry);
  public final Counter fencedWrites = Counter.build("ledger_fenced_writes_total",
      "Journal writes (events), journal deletes and snapshot writes refused because this node did not hold its node "
          + "lease (docs/design.md \"Fencing\")").labelNames("store").register(registry);
  public final Counter journalRequests = Counter.build("ledger_journal_requests_total",
      "Requests the ledger's journal sent to Cassandra, by journal (account-journal, transfer-journal) and result "
          + "(ok, failed)").labelNames("journal", "result").register(registry);
  public final Counter journalRequestWrites = Counter.build("ledger_journal_request_writes_total",
      "Entity writes (one persist each) that the ledger's journal's requests carried, by journal: divided by "
          + "ledger_journal_requests_total, how many writes went together").labelNames("journal").register(registry);
  public final Summary journalPersist = Summary.build("ledger_journal_persist_seconds",
      "Account persist latency, from the persist call to the journal's acknowledgement (includes the tag write)")
      .quantile(0.5, 0.01).quantile(0.99, 0.001).register(registry);
  public final Summary projectionLag = Summary.build("ledger_projection_lag_seconds",
      "Event journal timestamp to its query rows written, per projection tag")
      .labelNames("tag").quantile(0.5, 0.01).quantile(0.99, 0.001).register(registry);
  public final Gauge projectionLastLag = Gauge.build("ledger_projection_last_lag_seconds",
      "Lag of the latest event projected, per tag").labelNames("tag").register(registry);
  public final Counter projectionGapEvents = Counter.build("ledger_projection_gap_events_total",
      "Events the tag stream passed over and the projection wrote from the journal, per tag").labelNames("tag")
      .register(registry);
  public final Counter reconRuns = Counter.build("ledger_recon_runs_total", "Recon runs by result")
      .labelNames("result").register(registry);
  public final Gauge reconDivergences = Gauge.build("ledger_recon_divergences",
      "Divergences found by the latest recon run, by kind").labelNames("kind").register(registry);
  public final Gauge reconBalanced = Gauge.build("ledger_recon_balanced",
      "1 if the latest recon run found the currency's totals balanced (S1), else 0").labelNames("currency")
      .register(registry);
  public final Gauge reconStatus = Gauge.build("ledger_recon_ok",
      "1 if the latest recon run found no divergence, 0 if it did, -1 before the first run").register(registry);
  public final Gauge reconLastRun = Gauge.build("ledger_recon_last_run_timestamp_seconds",
      "When the latest recon run finished").register(registry);

  private Metrics() {
    reconStatus.set(-1);
  }

  /** Counts a failed recovery of an {@code entity} ("Account", "Transfer") by its reason. */
  public void recoveryFailed(String entity, Throwable failure) {
    recoveryFailures.labels(entity, isSecondWriter(failure) ? "second_writer" : "other").inc();
  }

  /** Akka's replay filter (mode fail) names the writers of the persistence id it refused. */
  static boolean isSecondWriter(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = t.getMessage();
      if (m != null && m.contains("writer") && m.contains("persistenceId")) {
        return true;
      }
    }
    return false;
  }

  public static Metrics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  public String scrape() {
    StringWriter out = new StringWriter();
    try {
      TextFormat.write004(out, registry.metricFamilySamples());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static final class Id extends ExtensionId<Metrics> {
    static final Id INSTANCE = new Id();

    @Override
    public Metrics createExtension(ActorSystem<?> system) {
      return new Metrics();
    }
  }
}
