package ledger.query;

import com.typesafe.config.Config;
import java.time.Duration;

/** {@code ledger.query} and the projection switches, read once. */
public record QuerySettings(boolean projectionEnabled, int tagCount, int pageSizeDefault, int pageSizeMax,
                            long entriesPerBucket, int listingBuckets, Duration minVersionWait,
                            Duration minVersionPoll, Duration minVersionPollMax, Duration minVersionCatchUpAfter,
                            long minVersionCatchUpVersionsMax, int minVersionCatchUpsMax, int readsPerRequestMax,
                            long rowsPerRequestMax, Duration requestTimeout, String keyspace) {

  public static QuerySettings fromConfig(Config root) {
    Config q = root.getConfig("ledger.query");
    return new QuerySettings(
        root.getBoolean("ledger.projection.enabled"),
        root.getInt("ledger.projection.tag-count"),
        q.getInt("page-size-default"),
        q.getInt("page-size-max"),
        q.getLong("entries-per-bucket"),
        q.getInt("listing-buckets"),
        q.getDuration("min-version-wait"),
        q.getDuration("min-version-poll"),
        q.getDuration("min-version-poll-max"),
        q.getDuration("min-version-catch-up-after"),
        q.getLong("min-version-catch-up-versions-max"),
        q.getInt("min-version-catch-ups-max"),
        q.getInt("reads-per-request-max"),
        q.getLong("rows-per-request-max"),
        requestTimeout(root),
        root.getString("ledger.cassandra.keyspace"));
  }

  /** Akka HTTP's request timeout: a query's reads stop when it answers the client. */
  private static Duration requestTimeout(Config root) {
    String path = "akka.http.server.request-timeout";
    return root.getString(path).equals("infinite") ? Duration.ofDays(1) : root.getDuration(path);
  }

  public long versionBucket(long version) {
    return version / entriesPerBucket;
  }

  /** The last version of a version bucket (saturating: the last bucket ends at Long.MAX_VALUE). */
  public long bucketEnd(long bucket) {
    return bucket >= Long.MAX_VALUE / entriesPerBucket ? Long.MAX_VALUE : (bucket + 1) * entriesPerBucket - 1;
  }

  public int listingBucket(String accountId) {
    return Math.floorMod(accountId.hashCode(), listingBuckets);
  }
}
