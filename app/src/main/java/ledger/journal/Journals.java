package ledger.journal;

import com.typesafe.config.Config;

/**
 * Which journal the accounts and the transfer coordinators write to:
 * {@code ledger.journal.implementation} {@code ledger} (the ledger's own, {@link LedgerJournal},
 * the default) or {@code default}: the default journal ({@code akka.persistence.journal.plugin},
 * akka-persistence-cassandra's, fenced, in application.conf; the tests' in-memory one) for
 * accounts and {@code ledger.transfer.journal-plugin} for coordinators. The Cassandra ones write
 * the same tables; the switch is there to measure one against the other on the same build.
 */
public final class Journals {
  private Journals() {}

  /** The journal plugin id of accounts ("" is the default journal). */
  public static String accountPluginId(Config root) {
    return ownJournal(root) ? "ledger.account-journal" : "";
  }

  /** The journal plugin id of transfer coordinators. */
  public static String transferPluginId(Config root) {
    return ownJournal(root) ? "ledger.transfer-journal" : root.getString("ledger.transfer.journal-plugin");
  }

  private static boolean ownJournal(Config root) {
    String implementation = root.getString("ledger.journal.implementation");
    return switch (implementation) {
      case "ledger" -> true;
      case "default" -> false;
      default -> throw new IllegalArgumentException("ledger.journal.implementation must be ledger or default, not "
          + implementation);
    };
  }
}
