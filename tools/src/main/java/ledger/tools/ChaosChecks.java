package ledger.tools;

import static ledger.tools.LedgerClient.parallel;
import static ledger.tools.LedgerClient.sleep;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import ledger.tools.Chaos.Account;
import ledger.tools.Chaos.Check;
import ledger.tools.Chaos.Leg;
import ledger.tools.Chaos.Plan;
import ledger.tools.Chaos.Sent;

/**
 * The books of a chaos run, proved from the client's recorded answers alone (the model) against
 * what the cluster shows afterwards: the accounts (strongly consistent), every transfer record,
 * and every account's statement on the query side read at the account's own version. Each
 * check returns its figures, so a pass shows what it covered and a failure what broke.
 */
final class ChaosChecks {
  /** A GET of the cluster, retried while unavailable. */
  interface Reader {
    JsonNode read(String path) throws Exception;
  }

  /** What one transfer does to one account: the sums of its debit and credit postings there. */
  private static final class Touch {
    long debit;
    long credit;
  }

  private static final int SHOWN = 10;

  private final List<Account> accounts;
  private final List<Sent> sent;
  private final Reader reader;
  private final Map<String, Sent> byId = new HashMap<>();
  private final List<Map<String, Touch>> touches = new ArrayList<>();
  private List<JsonNode> finalAccounts;

  ChaosChecks(List<Account> accounts, List<Sent> sent, Reader reader) {
    this.accounts = accounts;
    this.sent = sent;
    this.reader = reader;
    for (int i = 0; i < accounts.size(); i++) {
      touches.add(new HashMap<>());
    }
    for (Sent s : sent) {
      byId.put(s.id, s);
      for (Leg leg : s.legs) {
        touches.get(leg.debit()).computeIfAbsent(s.id, k -> new Touch()).debit += leg.amount();
        touches.get(leg.credit()).computeIfAbsent(s.id, k -> new Touch()).credit += leg.amount();
      }
    }
  }

  List<Check> run() throws Exception {
    List<Check> checks = new ArrayList<>();
    checks.add(settled());
    long quiet = awaitNoPending(Duration.ofSeconds(120));
    List<JsonNode> transfers = parallel(sent.size(), i -> readTransfer(sent.get(i).id));
    checks.add(conservation());
    List<List<JsonNode>> statements = parallel(accounts.size(), this::statement);
    checks.add(limits(statements));
    checks.add(balances());
    checks.add(entries(statements));
    checks.add(noPending(transfers, quiet));
    checks.add(records(transfers));
    return checks;
  }

  /** A transfer record; one that cannot be read (an unsettled id never reached a coordinator) reads as its error. */
  private JsonNode readTransfer(String id) {
    try {
      return reader.read("/transfers/" + id);
    } catch (Exception e) {
      return LedgerClient.JSON.createObjectNode().put("status", "unreadable: " + e.getMessage());
    }
  }

  /** Every request ended with a definitive answer, and every answer was one the API allows. */
  private Check settled() {
    List<String> open = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    for (Sent s : sent) {
      if (s.unexpected != null) {
        unexpected.add(s.id + ": " + s.unexpected);
      } else if (s.expected().equals("?")) {
        open.add(s.id + " (create " + s.created + ", " + s.actionKind() + " " + s.action + ")");
      }
    }
    return new Check("every outcome settled", open.isEmpty() && unexpected.isEmpty(), String.format(
        "%d transfers; without a definitive outcome after retrying the same request: %d%s; unexpected answers: %d%s",
        sent.size(), open.size(), shown(open), unexpected.size(), shown(unexpected)));
  }

  /** Waits until no account holds a pending amount (posts reach accounts after the answer); returns the ms waited. */
  private long awaitNoPending(Duration bound) throws Exception {
    long began = System.nanoTime();
    long deadline = began + bound.toNanos();
    while (true) {
      finalAccounts = parallel(accounts.size(), i -> reader.read("/accounts/" + accounts.get(i).id()));
      boolean quiet = finalAccounts.stream().allMatch(a -> a.path("debits_pending").asLong() == 0
          && a.path("credits_pending").asLong() == 0);
      if (quiet || System.nanoTime() > deadline) {
        return (System.nanoTime() - began) / 1_000_000;
      }
      sleep(1000);
    }
  }

  /** S1 per currency over every account of the run, operators included. */
  private Check conservation() {
    Map<String, long[]> sums = new TreeMap<>();
    for (int i = 0; i < accounts.size(); i++) {
      long[] s = sums.computeIfAbsent(accounts.get(i).currency(), k -> new long[5]);
      JsonNode a = finalAccounts.get(i);
      s[0] += a.path("debits_posted").asLong();
      s[1] += a.path("credits_posted").asLong();
      s[2] += a.path("debits_pending").asLong();
      s[3] += a.path("credits_pending").asLong();
      s[4]++;
    }
    boolean ok = true;
    List<String> figures = new ArrayList<>();
    for (var e : sums.entrySet()) {
      long[] s = e.getValue();
      ok &= s[0] == s[1] && s[2] == s[3];
      figures.add(String.format("%s over %d accounts: debits_posted %d %s credits_posted %d, debits_pending %d %s"
          + " credits_pending %d", e.getKey(), s[4], s[0], s[0] == s[1] ? "=" : "!=", s[1], s[2],
          s[2] == s[3] ? "=" : "!=", s[3]));
    }
    return new Check("S1 conservation", ok, String.join("; ", figures));
  }

  /** S4 at the end (the account) and after every event of its statement (its counters after it). */
  private Check limits(List<List<JsonNode>> statements) {
    List<String> broken = new ArrayList<>();
    long entries = 0;
    long tightest = Long.MAX_VALUE;
    for (int i = 0; i < accounts.size(); i++) {
      Account account = accounts.get(i);
      JsonNode a = finalAccounts.get(i);
      long available = a.path("available").asLong();
      long ceiling = a.path("credits_posted").asLong() + a.path("credits_pending").asLong()
          - a.path("debits_posted").asLong();
      if (account.minBalance() != null && available < account.minBalance()) {
        broken.add(account.id() + " available " + available + " < min " + account.minBalance());
      }
      if (account.maxBalance() != null && ceiling > account.maxBalance()) {
        broken.add(account.id() + " credits+pending-debits " + ceiling + " > max " + account.maxBalance());
      }
      for (JsonNode e : statements.get(i)) {
        entries++;
        JsonNode availableAfter = e.path("available_after");
        JsonNode balanceAfter = e.path("balance_after");
        if (account.minBalance() != null && !availableAfter.isNull()) {
          tightest = Math.min(tightest, availableAfter.asLong() - account.minBalance());
          if (availableAfter.asLong() < account.minBalance()) {
            broken.add(account.id() + " v" + e.path("version") + " available_after " + availableAfter + " < min");
          }
        }
        if (account.maxBalance() != null && !balanceAfter.isNull() && balanceAfter.asLong() > account.maxBalance()) {
          broken.add(account.id() + " v" + e.path("version") + " balance_after " + balanceAfter + " > max");
        }
      }
    }
    return new Check("limits", broken.isEmpty(), String.format("%d accounts now and after each of %d statement"
        + " entries; closest approach to a min_balance: %d above it; violations %d%s", accounts.size(), entries,
        tightest, broken.size(), shown(broken)));
  }

  /** Each account's posted counters are exactly what the definitive answers imply. */
  private Check balances() {
    long[] debits = new long[accounts.size()];
    long[] credits = new long[accounts.size()];
    long posted = 0;
    for (Sent s : sent) {
      if (s.expected().equals("posted")) {
        posted++;
        for (Leg leg : s.legs) {
          debits[leg.debit()] += s.postedAmount(leg);
          credits[leg.credit()] += s.postedAmount(leg);
        }
      }
    }
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < accounts.size(); i++) {
      JsonNode a = finalAccounts.get(i);
      if (a.path("debits_posted").asLong() != debits[i] || a.path("credits_posted").asLong() != credits[i]) {
        wrong.add(String.format("%s debits_posted %d credits_posted %d, the answers give %d and %d (balance off by %d)",
            accounts.get(i).id(), a.path("debits_posted").asLong(), a.path("credits_posted").asLong(), debits[i],
            credits[i], a.path("balance").asLong() - (credits[i] - debits[i])));
      }
    }
    return new Check("exact balances", wrong.isEmpty(), String.format("%d accounts against %d transfers answered"
        + " (or settled) posted; accounts off: %d%s", accounts.size(), posted, wrong.size(), shown(wrong)));
  }

  /** Every statement entry read at the account's own version (min_version), all pages. */
  private List<JsonNode> statement(int i) throws Exception {
    String id = accounts.get(i).id();
    long version = finalAccounts.get(i).path("version").asLong();
    List<JsonNode> entries = new ArrayList<>();
    long after = 0;
    while (true) {
      JsonNode page = reader.read("/accounts/" + id + "/entries?after_version=" + after + "&limit=1000&min_version="
          + version);
      page.path("entries").forEach(entries::add);
      if (page.path("next").isNull() || page.path("next").isMissingNode()) {
        return entries;
      }
      after = page.path("next").asLong();
    }
  }

  /**
   * Per account and transfer, the entries are exactly, per side it touches: for a one-phase
   * transfer one posted entry (none if rejected); for a two-phase one a pending entry, then one
   * posted (at the posted amount) or one voided entry, or none if it was rejected before every
   * account held it. No entry names a transfer the clients did not send to this account.
   */
  private Check entries(List<List<JsonNode>> statements) {
    List<String> wrong = new ArrayList<>();
    long pairs = 0;
    long postedPairs = 0;
    long releasedPairs = 0;
    long rejectedHeld = 0;
    long foreign = 0;
    for (int i = 0; i < accounts.size(); i++) {
      Map<String, List<String>> actual = new HashMap<>();
      for (JsonNode e : statements.get(i)) {
        actual.computeIfAbsent(e.path("transfer_id").asText(), k -> new ArrayList<>())
            .add(e.path("side").asText() + " " + e.path("status").asText() + " " + e.path("amount").asLong());
      }
      for (var touch : touches.get(i).entrySet()) {
        Sent s = byId.get(touch.getKey());
        String status = s.expected();
        List<String> found = sorted(actual.remove(touch.getKey()));
        if (status.equals("?")) {
          continue; // reported by "every outcome settled"
        }
        pairs++;
        boolean ok;
        if (status.equals("rejected")) {
          ok = found.isEmpty() || s.pending && found.equals(expectedEntries(touch.getValue(), true, "voided", null));
          rejectedHeld += found.isEmpty() ? 0 : 1;
        } else {
          Long partial = s.plan == Plan.POST_PARTIAL && status.equals("posted") ? s.partial : null;
          ok = found.equals(expectedEntries(touch.getValue(), s.pending, status.equals("posted") ? "posted" : "voided",
              partial));
          if (status.equals("posted")) {
            postedPairs++;
          } else {
            releasedPairs++;
          }
        }
        if (!ok) {
          wrong.add(accounts.get(i).id() + " " + s.id + " (" + status + "): " + found);
        }
      }
      for (var left : actual.entrySet()) {
        foreign++;
        wrong.add(accounts.get(i).id() + " has entries of " + left.getKey() + ", which no request put there: "
            + left.getValue());
      }
    }
    return new Check("statements: every transfer exactly once", wrong.isEmpty(), String.format(
        "%d (account, transfer) pairs: %d posted, %d voided or expired, %d rejected (%d of them held and released"
            + " here); entries of no request: %d; wrong: %d%s", pairs, postedPairs, releasedPairs,
        pairs - postedPairs - releasedPairs, rejectedHeld, foreign, wrong.size(), shown(wrong)));
  }

  private static List<String> expectedEntries(Touch t, boolean hold, String end, Long partial) {
    List<String> entries = new ArrayList<>();
    if (t.debit > 0) {
      if (hold) {
        entries.add("debit pending " + t.debit);
      }
      entries.add("debit " + end + " " + (partial != null ? partial : t.debit));
    }
    if (t.credit > 0) {
      if (hold) {
        entries.add("credit pending " + t.credit);
      }
      entries.add("credit " + end + " " + (partial != null ? partial : t.credit));
    }
    return sorted(entries);
  }

  /** S6 after the run: no account holds a pending amount and no transfer is still pending. */
  private Check noPending(List<JsonNode> transfers, long waitedMillis) {
    List<String> left = new ArrayList<>();
    for (int i = 0; i < accounts.size(); i++) {
      JsonNode a = finalAccounts.get(i);
      if (a.path("debits_pending").asLong() != 0 || a.path("credits_pending").asLong() != 0) {
        left.add(accounts.get(i).id() + " debits_pending " + a.path("debits_pending") + " credits_pending "
            + a.path("credits_pending"));
      }
    }
    for (int i = 0; i < sent.size(); i++) {
      if (transfers.get(i).path("status").asText().equals("pending")) {
        left.add(sent.get(i).id + " is still pending (plan " + sent.get(i).actionKind() + ")");
      }
    }
    long twoPhase = sent.stream().filter(s -> s.pending).count();
    return new Check("nothing left pending", left.isEmpty(), String.format("%d two-phase transfers, %d accounts;"
        + " every pending amount resolved %d ms after settling; left: %d%s", twoPhase, accounts.size(), waitedMillis,
        left.size(), shown(left)));
  }

  /** S5 and S3 as a client sees them: each transfer's record is what its definitive answers said. */
  private Check records(List<JsonNode> transfers) {
    List<String> wrong = new ArrayList<>();
    Map<String, Integer> byStatus = new TreeMap<>();
    int postedLate = 0;
    for (int i = 0; i < sent.size(); i++) {
      Sent s = sent.get(i);
      String expected = s.expected();
      if (expected.equals("?")) {
        continue;
      }
      JsonNode t = transfers.get(i);
      String status = t.path("status").asText();
      byStatus.merge(expected, 1, Integer::sum);
      boolean ok = status.equals(expected);
      if (ok && s.plan == Plan.POST_PARTIAL && expected.equals("posted")) {
        ok = t.path("posted_amount").asLong() == s.partial;
      }
      if (ok && expected.equals("posted") && s.timeoutSeconds > 0 && s.actedAt - s.ackedAt > lateNanos(s)) {
        ok = false;
        postedLate++;
      }
      if (ok && expected.equals("rejected")) {
        ok = t.path("rejection").path("code").asText().equals(s.rejection);
      }
      if (!ok) {
        wrong.add(s.id + " answered " + expected + (s.timeoutSeconds > 0 && s.actedAt > 0 ? " (" + s.actionKind()
            + " sent " + (s.actedAt - s.ackedAt) / 1_000_000 + " ms after the pending answer, timeout "
            + s.timeoutSeconds + " s)" : "") + (s.rejection == null ? "" : " " + s.rejection) + ", reads "
            + status + " " + t.path("rejection") + " posted_amount " + t.path("posted_amount"));
      }
    }
    return new Check("transfer records match the answers", wrong.isEmpty(), String.format(
        "%d transfers read back, expected by status %s; posts accepted after the transfer's timeout: %d;"
            + " differing: %d%s", sent.size(), byStatus, postedLate, wrong.size(), shown(wrong)));
  }

  /** A post sent this long after the pending answer comes after expires_at (100 ms for the clocks). */
  private static long lateNanos(Sent s) {
    return s.timeoutSeconds * 1_000_000_000L + 100_000_000L;
  }

  private static List<String> sorted(List<String> list) {
    List<String> copy = list == null ? new ArrayList<>() : new ArrayList<>(list);
    copy.sort(null);
    return copy;
  }

  private static String shown(List<String> items) {
    if (items.isEmpty()) {
      return "";
    }
    List<String> first = items.subList(0, Math.min(SHOWN, items.size()));
    return " [" + String.join("; ", first) + (items.size() > SHOWN ? "; ..." : "") + "]";
  }
}
