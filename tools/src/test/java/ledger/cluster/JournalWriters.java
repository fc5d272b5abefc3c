package ledger.cluster;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ledger.cassandra.CassandraConnection;

/**
 * The fault tests' scan of every journal for a second writer: one entity per persistence id at
 * a time writes one run of events, then the next incarnation (after a move, passivation or
 * restart) continues where it stopped; a split brain, or an incarnation that kept writing after
 * it was taken for dead, would repeat a sequence number or interleave the writers. The node's
 * replay filter (mode fail) refuses to recover such a journal; this scan finds it even where no
 * recovery happened.
 */
final class JournalWriters {
  private JournalWriters() {}

  /** One event in a journal: its sequence number and the incarnation of the entity that wrote it. */
  record Write(long sequenceNr, String writer) {}

  /** Every journal of {@code keyspace} (Cassandra of {@code config}) that shows two writers at once. */
  static List<String> interleaved(Config config, String keyspace) {
    Map<String, List<Write>> byId = new HashMap<>();
    try (CqlSession cql = CassandraConnection.openSession(config)) {
      for (Row row : cql.execute("SELECT persistence_id, sequence_nr, writer_uuid FROM " + keyspace + ".messages")) {
        byId.computeIfAbsent(row.getString("persistence_id"), k -> new ArrayList<>())
            .add(new Write(row.getLong("sequence_nr"), row.getString("writer_uuid")));
      }
    }
    System.out.printf("%s: %d journals checked for a second writer%n", keyspace, byId.size());
    return secondWriters(byId);
  }

  /** The journals that show two writers at once: a sequence number written twice, or a writer back after another. */
  static List<String> secondWriters(Map<String, List<Write>> journals) {
    List<String> broken = new ArrayList<>();
    journals.forEach((id, writes) -> {
      List<Write> sorted = new ArrayList<>(writes);
      sorted.sort((a, b) -> Long.compare(a.sequenceNr(), b.sequenceNr()));
      Set<String> finished = new HashSet<>();
      String writer = null;
      long last = 0;
      for (Write w : sorted) {
        if (w.sequenceNr() == last) {
          broken.add(id + ": sequence number " + last + " written twice");
          return;
        }
        if (!w.writer().equals(writer)) {
          if (finished.contains(w.writer())) {
            broken.add(id + ": writer " + w.writer() + " wrote again at " + w.sequenceNr() + " after " + writer);
            return;
          }
          if (writer != null) {
            finished.add(writer);
          }
          writer = w.writer();
        }
        last = w.sequenceNr();
      }
    });
    broken.sort(null);
    return broken;
  }
}
