package ledger.core;

import com.typesafe.config.Config;

/** The configured bounds on input (docs/design.md "Limits"), read once from {@code ledger.limits}. */
public record Limits(int metadataKeysMax, int metadataKeyLengthMax,
                     int metadataValueLengthMax, long requestBodyBytesMax, int legsMax, int batchTransfersMax,
                     long pendingTimeoutSecondsDefault, long pendingTimeoutSecondsMax, int jsonDepthMax,
                     int jsonNumberLengthMax, int jsonStringLengthMax) {

  public static Limits fromConfig(Config root) {
    Config c = root.getConfig("ledger.limits");
    return new Limits(
        c.getInt("metadata-keys-max"),
        c.getInt("metadata-key-length-max"),
        c.getInt("metadata-value-length-max"),
        c.getBytes("request-body-max").longValue(),
        c.getInt("legs-max"),
        c.getInt("batch-transfers-max"),
        root.getDuration("ledger.transfer.pending-timeout-default").toSeconds(),
        root.getDuration("ledger.transfer.pending-timeout-max").toSeconds(),
        c.getInt("json-depth-max"),
        c.getInt("json-number-length-max"),
        c.getInt("json-string-length-max"));
  }
}
