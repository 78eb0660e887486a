-- A deduction batch debits thousands of accounts in one UPDATE, most of them
-- once per batch. A new row version stays on its page (a heap-only update, no
-- new entry in the accounts indexes) only if the page has room for it while
-- the old version is still visible, and one statement updates every row of a
-- page at once: so leave half of each page free. The same holds for the
-- unbilled-usage updates of the postpaid lane.

-- Applies to pages written from now on; existing pages keep their rows.
ALTER TABLE "accounts" SET (fillfactor = 50);
