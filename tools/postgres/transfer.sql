-- One ledger transfer as one PostgreSQL transaction: debit and credit the two accounts (in id
-- order, so concurrent transfers never deadlock; the CHECK enforces the min balance) and insert
-- the transfer under a unique id with 128 bytes of metadata. Variables: naccounts, hot (0|1);
-- n counts this client's transfers (pgbench keeps variables per client).
\set n :n + 1
\set r random(1, :naccounts)
\set a :hot * 1 + (1 - :hot) * :r
\set b 1 + ((:a + random(0, :naccounts - 2)) % :naccounts)
\set amount random(1, 100)
BEGIN;
UPDATE account SET debits_posted = debits_posted + CASE WHEN id = :a::bigint THEN :amount::bigint ELSE 0 END,
                   credits_posted = credits_posted + CASE WHEN id = :b::bigint THEN :amount::bigint ELSE 0 END,
                   version = version + 1
 WHERE id = least(:a::bigint, :b::bigint);
UPDATE account SET debits_posted = debits_posted + CASE WHEN id = :a::bigint THEN :amount::bigint ELSE 0 END,
                   credits_posted = credits_posted + CASE WHEN id = :b::bigint THEN :amount::bigint ELSE 0 END,
                   version = version + 1
 WHERE id = greatest(:a::bigint, :b::bigint);
INSERT INTO transfer (id, debit_account_id, credit_account_id, amount, currency, metadata)
 VALUES (:client_id::bigint || '-' || :n::bigint, :a::bigint, :b::bigint, :amount::bigint, 'USD',
         '{"note":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}');
END;
