package ledger.query;

import com.typesafe.config.Config;
import java.time.Duration;

/** {@code ledger.query} and the projection switches, read once. */
public record QuerySettings(boolean projectionEnabled, int tagCount, int pageSizeDefault, int pageSizeMax,
                            long entriesPerBucket, int listingBuckets, int totalsBuckets, Duration minVersionWait,
                            Duration minVersionPoll, Duration minVersionPollMax, Duration minVersionCatchUpAfter,
                            long minVersionCatchUpVersionsMax, int minVersionCatchUpsMax, String keyspace) {

  public static QuerySettings fromConfig(Config root) {
    Config q = root.getConfig("ledger.query");
    return new QuerySettings(
        root.getBoolean("ledger.projection.enabled"),
        root.getInt("ledger.projection.tag-count"),
        q.getInt("page-size-default"),
        q.getInt("page-size-max"),
        q.getLong("entries-per-bucket"),
        q.getInt("listing-buckets"),
        q.getInt("totals-buckets"),
        q.getDuration("min-version-wait"),
        q.getDuration("min-version-poll"),
        q.getDuration("min-version-poll-max"),
        q.getDuration("min-version-catch-up-after"),
        q.getLong("min-version-catch-up-versions-max"),
        q.getInt("min-version-catch-ups-max"),
        root.getString("ledger.cassandra.keyspace"));
  }

  public long versionBucket(long version) {
    return version / entriesPerBucket;
  }

  public int listingBucket(String accountId) {
    return Math.floorMod(accountId.hashCode(), listingBuckets);
  }

  public int totalsBucket(String accountId) {
    return Math.floorMod(accountId.hashCode() * 31 + 7, totalsBuckets);
  }
}
