-- The PostgreSQL equivalent of the ledger's accounts and transfers, for `./ledger bench
-- --compare-postgres`: balances as posted debit/credit counters with the min-balance check as a
-- constraint, and a transfers table whose primary key is the client-chosen transfer id.
DROP TABLE IF EXISTS transfer;
DROP TABLE IF EXISTS account;
CREATE TABLE account (
  id             integer PRIMARY KEY,
  currency       text    NOT NULL,
  min_balance    bigint,
  debits_posted  bigint  NOT NULL DEFAULT 0,
  credits_posted bigint  NOT NULL DEFAULT 0,
  version        bigint  NOT NULL DEFAULT 0,
  CHECK (min_balance IS NULL OR credits_posted - debits_posted >= min_balance)
);
CREATE TABLE transfer (
  id                text        PRIMARY KEY,
  debit_account_id  integer     NOT NULL,
  credit_account_id integer     NOT NULL,
  amount            bigint      NOT NULL CHECK (amount > 0),
  currency          text        NOT NULL,
  metadata          jsonb       NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);
-- Every account funded as the ledger bench funds its accounts (1,000,000,000 minor units each).
INSERT INTO account (id, currency, min_balance, credits_posted)
  SELECT i, 'USD', 0, 1000000000 FROM generate_series(1, :naccounts) AS i;
VACUUM ANALYZE account;
