package ledger.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.TreeMap;
import ledger.query.QueryRows.AccountRow;
import ledger.query.QueryRows.AccountTransfer;
import ledger.query.QueryRows.Entry;
import ledger.recon.ReconReport;

/** JSON of the query side and of the recon report. */
final class QueryJson {
  private QueryJson() {}

  /** The docs/api.md Account object, from the query side's row (same fields, same order). */
  static ObjectNode account(AccountRow a) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", a.id());
    o.put("currency", a.currency());
    o.put("status", a.status());
    o.put("min_balance", a.minBalance());
    o.put("max_balance", a.maxBalance());
    ObjectNode meta = o.putObject("metadata");
    new TreeMap<>(a.metadata()).forEach(meta::put);
    counters(o, a.debitsPosted(), a.creditsPosted(), a.debitsPending(), a.creditsPending());
    o.put("version", a.version());
    o.put("created_at", Json.time(a.createdAt()));
    o.put("updated_at", Json.time(a.updatedAt()));
    return o;
  }

  static void counters(ObjectNode o, long dp, long cp, long dpe, long cpe) {
    o.put("debits_posted", dp);
    o.put("credits_posted", cp);
    o.put("debits_pending", dpe);
    o.put("credits_pending", cpe);
    o.put("balance", cp - dp);
    o.put("available", cp - dp - dpe);
  }

  static ObjectNode entry(Entry e) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("version", e.version());
    o.put("transfer_id", e.transferId());
    o.put("side", e.side());
    o.put("amount", e.amount());
    o.put("status", e.status());
    o.put("balance_after", e.balanceAfter());
    o.put("available_after", e.availableAfter());
    o.put("at", Json.time(e.at()));
    return o;
  }

  static ObjectNode transfer(AccountTransfer t) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("transfer_id", t.transferId());
    o.put("version", t.preparedVersion());
    o.put("debit", t.debit());
    o.put("credit", t.credit());
    o.put("status", t.status());
    o.put("posted_amount", t.postedAmount());
    o.put("prepared_at", Json.time(t.preparedAt()));
    o.put("updated_at", Json.time(t.updatedAt()));
    return o;
  }

  static ObjectNode recon(ReconReport r) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    if (r == null) {
      o.put("status", "not_run");
      o.putNull("started_at");
      o.putNull("finished_at");
      return o;
    }
    o.put("status", r.error() != null ? "failed" : r.ok() ? "ok" : "divergent");
    o.put("started_at", Json.time(r.startedAt()));
    o.put("finished_at", Json.time(r.finishedAt()));
    o.put("full", r.full());
    ObjectNode currencies = o.putObject("currencies");
    for (ReconReport.CurrencyTotals c : r.currencies()) {
      ObjectNode t = currencies.putObject(c.currency());
      t.put("debits_posted", c.debitsPosted());
      t.put("credits_posted", c.creditsPosted());
      t.put("debits_pending", c.debitsPending());
      t.put("credits_pending", c.creditsPending());
      t.put("accounts", c.accounts());
      t.put("balanced", c.balanced());
    }
    o.put("accounts_checked", r.accountsChecked());
    o.put("transfers_checked", r.transfersChecked());
    o.put("pending_legs_checked", r.pendingLegsChecked());
    o.put("divergences_found", r.divergencesFound());
    ArrayNode divergences = o.putArray("divergences");
    for (ReconReport.Divergence d : r.divergences()) {
      ObjectNode x = divergences.addObject();
      x.put("kind", d.kind());
      x.put("currency", d.currency());
      x.put("account_id", d.accountId());
      x.put("transfer_id", d.transferId());
      x.put("detail", d.detail());
    }
    o.put("error", r.error());
    return o;
  }
}
