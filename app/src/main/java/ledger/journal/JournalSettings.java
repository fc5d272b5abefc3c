package ledger.journal;

import com.datastax.oss.driver.api.core.uuid.Uuids;
import com.typesafe.config.Config;
import java.util.UUID;

/**
 * The settings of {@link LedgerJournal}: where its tables are, how it partitions them (the same
 * as akka-persistence-cassandra's, whose read journal reads the same rows), and its bounds.
 *
 * @param sessionConfigPath the Cassandra session to share (the plugin's)
 * @param profile the driver's execution profile for every statement (its consistency level)
 * @param partitionSize events per {@code messages} partition (the plugin's target-partition-size)
 * @param bucketMillis the {@code tag_views} time bucket (the plugin's events-by-tag.bucket-size)
 * @param tagsEnabled false: a tagged event is rejected (a journal whose entities are never read by tag)
 * @param maxEventsPerWrite the most events one atomic write may hold (less than a partition)
 * @param maxPartitionsPerRead the most partitions one highest-sequence read walks
 * @param writesInFlight requests out at once; further writes wait and go together ({@link WriteQueue})
 * @param batchMaxWrites the most entities' writes in one request
 * @param batchMaxBytes the most bytes of one request, as {@link LedgerJournal#requestBytes} estimates them
 * @param maxQueuedWrites the most writes waiting; one more is refused at once
 */
public record JournalSettings(String sessionConfigPath, String keyspace, String profile, long partitionSize,
                              long bucketMillis, boolean tagsEnabled, int maxEventsPerWrite,
                              int maxPartitionsPerRead, int writesInFlight, int batchMaxWrites, int batchMaxBytes,
                              int maxQueuedWrites) {
  public JournalSettings {
    if (partitionSize < 1 || bucketMillis < 1 || maxEventsPerWrite < 1 || maxPartitionsPerRead < 1) {
      throw new IllegalArgumentException("journal sizes must be positive");
    }
    if (maxEventsPerWrite >= partitionSize) {
      // An empty partition ends the journal only if no atomic write can skip a whole partition.
      throw new IllegalArgumentException("max-events-per-write must be below the partition size");
    }
  }

  /** {@code journal}: the plugin's block; {@code root}: the whole configuration. */
  public static JournalSettings fromConfig(Config journal, Config root) {
    String session = journal.getString("session-config-path");
    Config shared = root.getConfig(session);
    return new JournalSettings(session,
        shared.getString("journal.keyspace"),
        shared.getString("write-profile"),
        shared.getLong("journal.target-partition-size"),
        bucketMillis(shared.getString("events-by-tag.bucket-size")),
        journal.getBoolean("events-by-tag.enabled"),
        journal.getInt("max-events-per-write"),
        journal.getInt("max-partitions-per-read"),
        journal.getInt("writes-in-flight"),
        journal.getInt("batch-max-writes"),
        journal.getBytes("batch-max-bytes").intValue(),
        journal.getInt("max-queued-writes"));
  }

  static long bucketMillis(String bucketSize) {
    return switch (bucketSize) {
      case "Day" -> 86_400_000L;
      case "Hour" -> 3_600_000L;
      case "Minute" -> 60_000L;
      case "Second" -> 1_000L;
      default -> throw new IllegalArgumentException("events-by-tag.bucket-size must be Day, Hour, Minute or Second, "
          + "not " + bucketSize);
    };
  }

  /** The partition of {@code messages} that a sequence number belongs to. */
  public long partitionOf(long sequenceNr) {
    return (sequenceNr - 1) / partitionSize;
  }

  /** The {@code tag_views} time bucket of an event's time: its start, in epoch milliseconds. */
  public long timeBucket(UUID timestamp) {
    long millis = Uuids.unixTimestamp(timestamp);
    return millis / bucketMillis * bucketMillis;
  }
}
